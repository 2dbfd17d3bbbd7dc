#pragma once

// A domain header as the layer check accepts it: standard headers and the
// domain's own. An outside include in a block comment is no include:
/*
#include <boost/asio/io_context.hpp>
*/
#include <string>
#include <vector>

#include "domain/event.hpp"
