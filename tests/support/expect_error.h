#pragma once
// Expecting a typed error (core/error.h) from a call, shared by the test binaries.
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"

namespace uninlu::testing {

// The message of the Error(ModelLoad) that `f` throws; a test failure if it throws nothing or
// another kind.
template <class F>
std::string load_error(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ModelLoad) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected Error(ModelLoad); nothing was thrown";
  return {};
}

}  // namespace uninlu::testing
