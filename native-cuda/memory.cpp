// VMM mechanics (physical pages, reserved ranges, map/unmap, access), pinned
// host staging, and stream-ordered copies and zero-fills. No bookkeeping:
// every handle and address goes back to JavaScript, which owns them.
#include <cuda.h>
#include <unordered_map>
#include <cuda_runtime_api.h>
#include "driver.h"
#include "errors.h"
#include "napi_util.h"

namespace handover {

static CUmemAllocationProp device_prop(int ordinal) {
  CUmemAllocationProp p{};
  p.type = CU_MEM_ALLOCATION_TYPE_PINNED;
  p.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  p.location.id = ordinal;
  return p;
}

// open(ordinal) -> { name, totalBytes, granularity, smCount, major, minor, driverVersion, runtimeVersion }
napi_value open_device(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  int ordinal = (int)a.num(0);
  if (!a.ok) return nullptr;
  int count = 0;
  RT_CHECK(env, cudaGetDeviceCount(&count));
  USAGE_CHECK(env, ordinal >= 0 && ordinal < count, "no CUDA device with that ordinal");
  RT_CHECK(env, cudaSetDevice(ordinal));
  RT_CHECK(env, cudaFree(nullptr));  // creates the primary context
  const char* missing = load_driver();
  if (missing) return throw_failure(env, "runtime", "cudaGetDriverEntryPointByVersion", __FILE__, __LINE__,
                                    "cudaErrorSymbolNotFound", missing);
  cudaDeviceProp prop{};
  RT_CHECK(env, cudaGetDeviceProperties(&prop, ordinal));
  size_t gran = 0;
  CUmemAllocationProp p = device_prop(ordinal);
  CU_CHECK(env, drv.cuMemGetAllocationGranularity(&gran, &p, CU_MEM_ALLOC_GRANULARITY_MINIMUM));
  int dv = 0, rv = 0;
  CU_CHECK(env, drv.cuDriverGetVersion(&dv));
  RT_CHECK(env, cudaRuntimeGetVersion(&rv));
  napi_value o, name;
  NAPI_CHECK(env, napi_create_object(env, &o));
  NAPI_CHECK(env, napi_create_string_utf8(env, prop.name, NAPI_AUTO_LENGTH, &name));
  napi_set_named_property(env, o, "name", name);
  napi_set_named_property(env, o, "totalBytes", number(env, (double)prop.totalGlobalMem));
  napi_set_named_property(env, o, "granularity", number(env, (double)gran));
  napi_set_named_property(env, o, "smCount", number(env, prop.multiProcessorCount));
  napi_set_named_property(env, o, "major", number(env, prop.major));
  napi_set_named_property(env, o, "minor", number(env, prop.minor));
  napi_set_named_property(env, o, "driverVersion", number(env, dv));
  napi_set_named_property(env, o, "runtimeVersion", number(env, rv));
  return o;
}

// pageCreate(bytes, ordinal) -> handle
napi_value page_create(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  size_t bytes = a.u64(0);
  int ordinal = (int)a.num(1);
  if (!a.ok) return nullptr;
  CUmemAllocationProp p = device_prop(ordinal);
  CUmemGenericAllocationHandle h = 0;
  CU_CHECK(env, drv.cuMemCreate(&h, bytes, &p, 0));
  return big(env, h);
}

// pageRelease(handle)
napi_value page_release(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  CUmemGenericAllocationHandle h = a.u64(0);
  if (!a.ok) return nullptr;
  CU_CHECK(env, drv.cuMemRelease(h));
  return undefined(env);
}

// addressReserve(bytes, alignment) -> va
napi_value address_reserve(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  size_t bytes = a.u64(0), align = a.u64(1);
  if (!a.ok) return nullptr;
  CUdeviceptr va = 0;
  CU_CHECK(env, drv.cuMemAddressReserve(&va, bytes, align, 0, 0));
  return big(env, va);
}

// addressFree(va, bytes)
napi_value address_free(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  CUdeviceptr va = a.u64(0);
  size_t bytes = a.u64(1);
  if (!a.ok) return nullptr;
  CU_CHECK(env, drv.cuMemAddressFree(va, bytes));
  return undefined(env);
}

// pageMap(va, bytes, handle): maps one physical page (offset 0) at va.
napi_value page_map(napi_env env, napi_callback_info info) {
  Args a(env, info, 3);
  CUdeviceptr va = a.u64(0);
  size_t bytes = a.u64(1);
  CUmemGenericAllocationHandle h = a.u64(2);
  if (!a.ok) return nullptr;
  CU_CHECK(env, drv.cuMemMap(va, bytes, 0, h, 0));
  return undefined(env);
}

// pageUnmap(va, bytes)
napi_value page_unmap(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  CUdeviceptr va = a.u64(0);
  size_t bytes = a.u64(1);
  if (!a.ok) return nullptr;
  CU_CHECK(env, drv.cuMemUnmap(va, bytes));
  return undefined(env);
}

// accessSet(va, bytes, ordinal): read-write for that device over a fully mapped range.
napi_value access_set(napi_env env, napi_callback_info info) {
  Args a(env, info, 3);
  CUdeviceptr va = a.u64(0);
  size_t bytes = a.u64(1);
  int ordinal = (int)a.num(2);
  if (!a.ok) return nullptr;
  CUmemAccessDesc d{};
  d.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  d.location.id = ordinal;
  d.flags = CU_MEM_ACCESS_FLAGS_PROT_READWRITE;
  CU_CHECK(env, drv.cuMemSetAccess(va, bytes, &d, 1));
  return undefined(env);
}

// A pinned block's state, shared by hostFree and the buffer's finalizer
// (which may run at once inside the detach, or later): whichever comes first
// frees the memory, the finalizer always frees the record. The record is the
// finalizer's hint, so a later block at the same address never is confused with it.
struct HostBlock {
  void* data;
  bool freed;
};
static std::unordered_map<void*, HostBlock*> live_blocks;

static void free_host(napi_env, void* data, void* hint) {
  HostBlock* b = (HostBlock*)hint;
  if (!b->freed) {
    cudaFreeHost(data);
    live_blocks.erase(data);
  }
  delete b;
}

// hostAlloc(bytes) -> ArrayBuffer over pinned host memory (freed by hostFree, or when collected).
napi_value host_alloc(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  size_t bytes = a.u64(0);
  if (!a.ok) return nullptr;
  void* p = nullptr;
  RT_CHECK(env, cudaMallocHost(&p, bytes));
  HostBlock* b = new HostBlock{p, false};
  napi_value ab;
  if (napi_create_external_arraybuffer(env, p, bytes, free_host, b, &ab) != napi_ok) {
    cudaFreeHost(p);
    delete b;
    return throw_usage(env, "napi_create_external_arraybuffer", __FILE__, __LINE__, "external buffers refused");
  }
  live_blocks[p] = b;
  return ab;
}

// hostFree(buffer): frees a hostAlloc buffer now and detaches it (its views read as empty).
// The caller makes sure no copy from or to it is still in flight.
napi_value host_free(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  size_t cap = 0;
  void* p = a.bytes(0, &cap);
  if (!a.ok) return nullptr;
  auto it = live_blocks.find(p);
  USAGE_CHECK(env, p && it != live_blocks.end(), "hostFree: not a live hostAlloc buffer");
  HostBlock* b = it->second;
  live_blocks.erase(it);
  b->freed = true;  // before the detach: the finalizer may run inside it (and delete b)
  NAPI_CHECK(env, napi_detach_arraybuffer(env, a.argv[0]));  // no view can reach the memory after this
  RT_CHECK(env, cudaFreeHost(p));
  return undefined(env);
}

// zeroAsync(ptr, bytes, stream)
napi_value zero_async(napi_env env, napi_callback_info info) {
  Args a(env, info, 3);
  void* p = (void*)a.u64(0);
  size_t bytes = a.u64(1);
  cudaStream_t s = (cudaStream_t)a.u64(2);
  if (!a.ok) return nullptr;
  RT_CHECK(env, cudaMemsetAsync(p, 0, bytes, s));
  return undefined(env);
}

// copyAsync(dst, src, bytes, stream): device to device, ranges must not overlap.
napi_value copy_async(napi_env env, napi_callback_info info) {
  Args a(env, info, 4);
  void* dst = (void*)a.u64(0);
  const void* src = (const void*)a.u64(1);
  size_t bytes = a.u64(2);
  cudaStream_t s = (cudaStream_t)a.u64(3);
  if (!a.ok) return nullptr;
  RT_CHECK(env, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, s));
  return undefined(env);
}

// uploadAsync(dst, host, hostOffset, bytes, stream): host must be a hostAlloc buffer.
napi_value upload_async(napi_env env, napi_callback_info info) {
  Args a(env, info, 5);
  void* dst = (void*)a.u64(0);
  size_t cap = 0;
  char* host = (char*)a.bytes(1, &cap);
  size_t off = a.u64(2), bytes = a.u64(3);
  cudaStream_t s = (cudaStream_t)a.u64(4);
  if (!a.ok) return nullptr;
  USAGE_CHECK(env, host && off + bytes <= cap, "host staging range out of bounds");
  RT_CHECK(env, cudaMemcpyAsync(dst, host + off, bytes, cudaMemcpyHostToDevice, s));
  return undefined(env);
}

// downloadAsync(host, hostOffset, src, bytes, stream): host must be a hostAlloc buffer.
napi_value download_async(napi_env env, napi_callback_info info) {
  Args a(env, info, 5);
  size_t cap = 0;
  char* host = (char*)a.bytes(0, &cap);
  size_t off = a.u64(1);
  const void* src = (const void*)a.u64(2);
  size_t bytes = a.u64(3);
  cudaStream_t s = (cudaStream_t)a.u64(4);
  if (!a.ok) return nullptr;
  USAGE_CHECK(env, host && off + bytes <= cap, "host staging range out of bounds");
  RT_CHECK(env, cudaMemcpyAsync(host + off, src, bytes, cudaMemcpyDeviceToHost, s));
  return undefined(env);
}

}  // namespace handover
