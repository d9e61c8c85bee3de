#pragma once
// Shared by the fuzz targets. A target may let uninlu::Error out of the code under test (that is the
// documented way to refuse an input); anything else (another exception, a crash, a sanitizer report) is
// a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "core/error.h"

namespace uninlu::fuzz {

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs `body`; an uninlu::Error of one of the allowed kinds is an accepted refusal, anything else aborts
// with what leaked (libFuzzer then keeps the input as a crash).
template <class Body>
void expect_refusals_only(Body&& body, std::initializer_list<ErrorKind> allowed) {
  try {
    body();
  } catch (const Error& e) {
    for (const ErrorKind kind : allowed) {
      if (e.kind() == kind) return;
    }
    std::fprintf(stderr, "unexpected error kind %s: %s\n", error_kind_name(e.kind()), e.what());
    std::abort();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "an exception other than uninlu::Error escaped: %s\n", e.what());
    std::abort();
  }
}

[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what.c_str());
  std::abort();
}

// A file of this process's own (the checkpoint readers and config loader take paths), rewritten per input.
std::string write_scratch_file(std::string_view bytes, const char* suffix);

}  // namespace uninlu::fuzz
