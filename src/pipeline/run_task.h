#pragma once
// Runs one PredictionTask to completion on one backend, step after step (the CLI's path; the server
// interleaves the steps of many tasks through its scheduler instead).
#include <cstddef>

#include "engine/backend.h"
#include "pipeline/prediction.h"

namespace uninlu {

// Each step is cut into backend calls of at most `max_batch_tokens` tokens (text + hint), so memory stays
// bounded however many prompts a level has.
void run_task(Backend& backend, PredictionTask& task, std::size_t max_batch_tokens = 16384);

}  // namespace uninlu
