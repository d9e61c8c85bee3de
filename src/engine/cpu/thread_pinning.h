#pragma once
// Pins the calling thread's OpenMP team, one thread per CPU, when the team has exactly as many threads
// as the CPUs this process may run on (the process owns them: `threads` 0 or equal to the core count).
// A pinned thread keeps its caches and is not migrated between cores mid-GEMM. With fewer threads than
// CPUs (several instances on one host, or `threads` chosen to leave cores free) nothing is pinned, so
// instances never pile onto the same cores. libgomp keeps one team per calling thread, so the first
// call from a thread pins its team for good; later calls from that thread return at once.
namespace uninlu {

// True when the team is (now or already) pinned.
bool pin_openmp_team(int threads);

}  // namespace uninlu
