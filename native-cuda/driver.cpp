#include "driver.h"
#include <cuda_runtime_api.h>

namespace handover {

Driver drv{};

template <typename F>
static bool entry(const char* name, F& fn) {
  void* p = nullptr;
  cudaDriverEntryPointQueryResult q{};
  if (cudaGetDriverEntryPointByVersion(name, &p, 12000, cudaEnableDefault, &q) != cudaSuccess || !p) return false;
  fn = reinterpret_cast<F>(p);
  return true;
}

const char* load_driver() {
#define LOAD(sym) \
  if (!entry(#sym, drv.sym)) return #sym;
  LOAD(cuMemCreate)
  LOAD(cuMemRelease)
  LOAD(cuMemAddressReserve)
  LOAD(cuMemAddressFree)
  LOAD(cuMemMap)
  LOAD(cuMemUnmap)
  LOAD(cuMemSetAccess)
  LOAD(cuMemGetAllocationGranularity)
  LOAD(cuGetErrorString)
  LOAD(cuGetErrorName)
  LOAD(cuDriverGetVersion)
#undef LOAD
  return nullptr;
}

}  // namespace handover
