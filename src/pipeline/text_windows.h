#pragma once
// Long texts are cut into overlapping windows of 384 tokens with stride 352, as the reference does:
// windows ids[j*352 : j*352+384] for j = 0..ceil((n-384)/352), the last one padded to 384.
#include <cstddef>
#include <vector>

namespace uninlu {

inline constexpr int kWindowTokens = 384;
inline constexpr int kWindowStride = 352;
inline constexpr std::size_t kMaxHintTokens = 128;

struct TextWindow {
  int shift = 0;       // index of the window's first token in the whole sequence
  int length = 0;      // real tokens in the window
  int padded_len = 0;  // length of the window tensor in the reference (384 when windowed, else n)
};

std::vector<TextWindow> make_text_windows(int n_tokens);

}  // namespace uninlu
