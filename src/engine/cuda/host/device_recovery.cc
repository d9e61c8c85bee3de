#include "engine/cuda/host/device_recovery.h"

namespace uninlu::cuda {

std::string rebuild_name(Rebuild kind) {
  switch (kind) {
    case Rebuild::None: return "none";
    case Rebuild::Soft: return "rebuild of the device state";
    case Rebuild::Full: return "device reset and re-upload";
  }
  return "?";
}

}  // namespace uninlu::cuda
