#include "engine/cuda/host/fault_rules.h"

#include <charconv>
#include <cstdlib>

#include "core/error.h"

namespace uninlu::cuda {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return parts;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

[[noreturn]] void bad_rule(std::string_view rule, const std::string& why) {
  fail(ErrorKind::Usage, "UNINLU_FAULT_INJECT: rule '" + std::string(rule) + "': " + why +
                             " (expected DEVICE:KIND:TRIGGER, e.g. cuda:0:oom:every=5; KIND oom|error|sticky, "
                             "TRIGGER every=N|after=N|at=N)");
}

}  // namespace

FaultInjector::FaultInjector(std::string_view spec, const std::string& device_name) {
  for (std::string_view rule : split(spec, ';')) {
    rule = trim(rule);
    if (rule.empty()) continue;
    const auto parts = split(rule, ':');
    if (parts.size() != 4) bad_rule(rule, "it has " + std::to_string(parts.size()) + " ':'-separated fields, not 4");
    const std::string device = std::string(parts[0]) + ":" + std::string(parts[1]);
    if (parts[0] != "cuda") bad_rule(rule, "the device must be cuda:N or cuda:*");
    Rule r{};
    if (parts[2] == "oom") {
      r.fault = InjectedFault::OutOfMemory;
    } else if (parts[2] == "error") {
      r.fault = InjectedFault::Error;
    } else if (parts[2] == "sticky") {
      r.fault = InjectedFault::Sticky;
    } else {
      bad_rule(rule, "unknown kind '" + std::string(parts[2]) + "'");
    }
    const auto eq = parts[3].find('=');
    if (eq == std::string_view::npos) bad_rule(rule, "the trigger needs '='");
    const std::string_view trigger = parts[3].substr(0, eq);
    const std::string_view number = parts[3].substr(eq + 1);
    if (trigger == "every") {
      r.trigger = Trigger::Every;
    } else if (trigger == "after") {
      r.trigger = Trigger::After;
    } else if (trigger == "at") {
      r.trigger = Trigger::At;
    } else {
      bad_rule(rule, "unknown trigger '" + std::string(trigger) + "'");
    }
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), r.n);
    if (ec != std::errc() || end != number.data() + number.size()) bad_rule(rule, "'" + std::string(number) + "' is not a number");
    if (r.n == 0 && r.trigger != Trigger::After) bad_rule(rule, "every=0 and at=0 never fire");
    r.text = std::string(rule);
    if (device == "cuda:*" || device == device_name) rules_.push_back(std::move(r));
  }
}

std::string FaultInjector::spec_from_environment() {
  const char* value = std::getenv("UNINLU_FAULT_INJECT");
  return value == nullptr ? std::string() : std::string(value);
}

std::optional<InjectedFault> FaultInjector::next_call() {
  ++calls_;
  std::optional<InjectedFault> worst;
  for (const auto& r : rules_) {
    const bool fire = (r.trigger == Trigger::Every && calls_ % r.n == 0) ||
                      (r.trigger == Trigger::After && calls_ > r.n) || (r.trigger == Trigger::At && calls_ == r.n);
    if (fire && (!worst || r.fault > *worst)) worst = r.fault;
  }
  return worst;
}

std::string FaultInjector::describe() const {
  std::string out;
  for (const auto& r : rules_) out += (out.empty() ? "" : ";") + r.text;
  return out;
}

}  // namespace uninlu::cuda
