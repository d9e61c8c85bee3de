// A schema sent as a string (the API accepts {"schema": "{\"a\": null}"}): Schema::parse on raw text.
#include <cstdint>

#include "fuzz_support.h"
#include "pipeline/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using uninlu::ErrorKind;
  uninlu::fuzz::expect_refusals_only(
      [&] {
        const uninlu::PipelineLimits limits;
        const uninlu::Schema schema = uninlu::Schema::parse(uninlu::fuzz::as_view(data, size), limits);
        const uninlu::Schema again = uninlu::Schema::parse(schema.to_json().dump(), limits);
        if (again.to_json() != schema.to_json()) uninlu::fuzz::finding("the schema does not round-trip");
      },
      {ErrorKind::InvalidInput, ErrorKind::LimitExceeded});
  return 0;
}
