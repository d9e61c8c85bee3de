#include "pipeline/text_windows.h"

#include <algorithm>

namespace uninlu {

std::vector<TextWindow> make_text_windows(int n_tokens) {
  if (n_tokens <= kWindowTokens) return {TextWindow{0, n_tokens, n_tokens}};
  const int count = (n_tokens - kWindowTokens + kWindowStride - 1) / kWindowStride + 1;
  std::vector<TextWindow> windows;
  windows.reserve(static_cast<std::size_t>(count));
  for (int j = 0; j < count; ++j) {
    const int shift = j * kWindowStride;
    windows.push_back({shift, std::min(kWindowTokens, n_tokens - shift), kWindowTokens});
  }
  return windows;
}

}  // namespace uninlu
