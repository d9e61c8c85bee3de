#pragma once
// The slice of NVML's C ABI (nvml.h, stable across driver versions) that monitor/nvml.cc calls through
// dlsym. Declared here so the build does not depend on NVML's headers.
namespace uninlu::nvml_abi {

using Return = int;                // nvmlReturn_t
struct DeviceOpaque;               // struct nvmlDevice_st
using Device = DeviceOpaque*;      // nvmlDevice_t

struct Utilization {  // nvmlUtilization_t
  unsigned int gpu;     // percent of time a kernel ran over the last sample period
  unsigned int memory;  // percent of time device memory was read or written
};

struct Memory {  // nvmlMemory_t (v1)
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

constexpr Return kSuccess = 0;            // NVML_SUCCESS
constexpr Return kErrorNotSupported = 3;  // NVML_ERROR_NOT_SUPPORTED
constexpr int kTemperatureGpu = 0;        // NVML_TEMPERATURE_GPU
constexpr int kMemoryErrorUncorrected = 1;  // NVML_MEMORY_ERROR_TYPE_UNCORRECTED
constexpr int kVolatileEcc = 0;           // NVML_VOLATILE_ECC
constexpr unsigned kNameBufferSize = 96;  // NVML_DEVICE_NAME_V2_BUFFER_SIZE
constexpr unsigned kUuidBufferSize = 96;  // NVML_DEVICE_UUID_V2_BUFFER_SIZE

using InitFn = Return (*)();                                             // nvmlInit_v2
using ShutdownFn = Return (*)();                                         // nvmlShutdown
using DeviceGetCountFn = Return (*)(unsigned int*);                      // nvmlDeviceGetCount_v2
using DeviceGetHandleByIndexFn = Return (*)(unsigned int, Device*);      // nvmlDeviceGetHandleByIndex_v2
using DeviceGetUtilizationRatesFn = Return (*)(Device, Utilization*);    // nvmlDeviceGetUtilizationRates
using DeviceGetMemoryInfoFn = Return (*)(Device, Memory*);               // nvmlDeviceGetMemoryInfo
using DeviceGetTemperatureFn = Return (*)(Device, int, unsigned int*);   // nvmlDeviceGetTemperature
using DeviceGetTotalEccErrorsFn = Return (*)(Device, int, int, unsigned long long*);  // nvmlDeviceGetTotalEccErrors
using DeviceGetNameFn = Return (*)(Device, char*, unsigned int);         // nvmlDeviceGetName
using DeviceGetUuidFn = Return (*)(Device, char*, unsigned int);         // nvmlDeviceGetUUID
using ErrorStringFn = const char* (*)(Return);                           // nvmlErrorString

}  // namespace uninlu::nvml_abi
