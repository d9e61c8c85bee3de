// A fake NVML with the C ABI of the functions monitor/nvml.cc binds: two GPUs, the second without ECC
// support and with a failing temperature sensor. Environment knobs for the tests:
//   FAKE_NVML_INIT_FAIL=1   nvmlInit_v2 returns NVML_ERROR_DRIVER_NOT_LOADED (9)
//   FAKE_NVML_COUNT=N       number of GPUs (default 2)
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

struct FakeDevice {
  const char* name;
  const char* uuid;
  unsigned utilization;
  unsigned long long total, used;
  unsigned temperature;
  int temperature_status;
  int ecc_status;
  unsigned long long ecc;
};

FakeDevice devices[] = {
    {"Fake GPU \"A\"", "GPU-00000000-1111-2222-3333-444444444444", 87, 80ull << 30, 12ull << 30, 54, 0, 0, 0},
    {"Fake GPU B", "GPU-55555555-6666-7777-8888-999999999999", 3, 16ull << 30, 1ull << 30, 0, 999, 3, 0},
};

unsigned count() {
  const char* v = std::getenv("FAKE_NVML_COUNT");
  const unsigned n = v == nullptr ? 2u : static_cast<unsigned>(std::atoi(v));
  return n > 2 ? 2 : n;
}

FakeDevice* as_device(void* handle) { return static_cast<FakeDevice*>(handle); }

}  // namespace

extern "C" {

int nvmlInit_v2() { return std::getenv("FAKE_NVML_INIT_FAIL") != nullptr ? 9 : 0; }
int nvmlShutdown() { return 0; }
int nvmlDeviceGetCount_v2(unsigned* n) {
  *n = count();
  return 0;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned index, void** device) {
  if (index >= count()) return 2;
  *device = &devices[index];
  return 0;
}
int nvmlDeviceGetUtilizationRates(void* device, unsigned* rates) {
  rates[0] = as_device(device)->utilization;
  rates[1] = 0;
  return 0;
}
int nvmlDeviceGetMemoryInfo(void* device, unsigned long long* memory) {
  memory[0] = as_device(device)->total;
  memory[1] = as_device(device)->total - as_device(device)->used;
  memory[2] = as_device(device)->used;
  return 0;
}
int nvmlDeviceGetTemperature(void* device, int sensor, unsigned* temperature) {
  if (sensor != 0) return 2;
  *temperature = as_device(device)->temperature;
  return as_device(device)->temperature_status;
}
int nvmlDeviceGetTotalEccErrors(void* device, int error_type, int counter_type, unsigned long long* count) {
  if (error_type != 1 || counter_type != 0) return 2;
  *count = as_device(device)->ecc;
  return as_device(device)->ecc_status;
}
int nvmlDeviceGetName(void* device, char* name, unsigned length) {
  std::snprintf(name, length, "%s", as_device(device)->name);
  return 0;
}
int nvmlDeviceGetUUID(void* device, char* uuid, unsigned length) {
  std::snprintf(uuid, length, "%s", as_device(device)->uuid);
  return 0;
}
const char* nvmlErrorString(int status) {
  switch (status) {
    case 0: return "Success";
    case 3: return "Not Supported";
    case 9: return "Driver Not Loaded";
    default: return "Unknown Error";
  }
}

}  // extern "C"
