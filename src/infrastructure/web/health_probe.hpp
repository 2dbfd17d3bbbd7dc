#pragma once

#include <ostream>

#include "infrastructure/config/settings.hpp"

namespace fixit::infrastructure::web {

// The container's HEALTHCHECK: GET /healthz of the service this configuration
// describes (loopback when it binds every address), one 3-second deadline for
// the whole exchange. Prints one line; returns 0 on a 200, else 1.
int probe_health(const Settings& settings, std::ostream& out, std::ostream& err);

}  // namespace fixit::infrastructure::web
