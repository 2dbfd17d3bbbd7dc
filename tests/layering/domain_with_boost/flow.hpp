#pragma once

// A domain header that reaches for an outside library: the layer check refuses it.
#include <boost/asio/io_context.hpp>
#include <string>
