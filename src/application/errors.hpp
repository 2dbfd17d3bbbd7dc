#pragma once

#include <optional>
#include <stdexcept>
#include <string>

namespace fixit::application {

// How a failed outbound call should be treated.
enum class Failure {
  transient,  // try again later (rate limits, 5xx, timeouts, connection errors)
  permanent,  // retrying cannot help (bad request, unknown recipient, expired token)
};

// A port's outbound call failed. `code` is the remote system's error code when it
// gave one (a WhatsApp error.code, an HTTP status), else empty.
class DeliveryError : public std::runtime_error {
 public:
  DeliveryError(Failure failure, const std::string& message, std::string code = {})
      : std::runtime_error(message), failure_(failure), code_(std::move(code)) {}

  [[nodiscard]] Failure failure() const { return failure_; }
  [[nodiscard]] bool transient() const { return failure_ == Failure::transient; }
  [[nodiscard]] const std::string& code() const { return code_; }

  // The adapter has already logged the cause at error level, e.g. an account
  // problem (an expired token) that it reports once however many calls fail:
  // whoever handles this error logs it more quietly.
  DeliveryError& mark_reported() {
    reported_ = true;
    return *this;
  }
  [[nodiscard]] bool reported() const { return reported_; }

 private:
  Failure failure_;
  std::string code_;
  bool reported_ = false;
};

// Someone saved the dialog after it was loaded; load it again and redo the step.
class ConcurrentUpdate : public std::runtime_error {
 public:
  explicit ConcurrentUpdate(const std::string& user_id)
      : std::runtime_error("dialog of user " + user_id + " was saved concurrently") {}
};

}  // namespace fixit::application
