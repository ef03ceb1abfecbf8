// Green contexts (CUDA 12.5+ driver): SM partitions with their own streams, so
// training can be held to part of the SMs while inference runs. Mechanics only:
// an SM resource goes to JavaScript as opaque bytes and comes back to create a
// green context; which partition is whose, and rollback, live in src/devices/cuda/green.ts.
#include <cuda.h>
#include <cuda_runtime_api.h>
#include <cstdio>
#include <cstring>
#include <type_traits>
#include "blas.h"
#include "errors.h"
#include "napi_util.h"

namespace handover {

// Green-context functions, looked up at the version that has all of them
// (cuGreenCtxStreamCreate is 12.5); an older driver has no such symbols.
static constexpr int GREEN_DRIVER_VERSION = 12050;

static struct {
  CUresult (*cuDeviceGet)(CUdevice*, int);
  CUresult (*cuDeviceGetDevResource)(CUdevice, CUdevResource*, CUdevResourceType);
  CUresult (*cuDevSmResourceSplitByCount)(CUdevResource*, unsigned int*, const CUdevResource*, CUdevResource*,
                                          unsigned int, unsigned int);
  CUresult (*cuDevResourceGenerateDesc)(CUdevResourceDesc*, CUdevResource*, unsigned int);
  CUresult (*cuGreenCtxCreate)(CUgreenCtx*, CUdevResourceDesc, CUdevice, unsigned int);
  CUresult (*cuGreenCtxDestroy)(CUgreenCtx);
  CUresult (*cuGreenCtxGetDevResource)(CUgreenCtx, CUdevResource*, CUdevResourceType);
  CUresult (*cuGreenCtxStreamCreate)(CUstream*, CUgreenCtx, unsigned int, int);
} gd{};

// Looks up every green-context symbol. Returns the runtime's error (no driver,
// say) or, on cudaSuccess, sets *missing to the first symbol the driver lacks.
static cudaError_t load_green(const char** missing) {
  *missing = nullptr;
  if (gd.cuGreenCtxStreamCreate) return cudaSuccess;
  cudaError_t err = cudaSuccess;
  auto entry = [&](const char* name, auto& fn) {
    if (err != cudaSuccess || *missing) return;
    void* p = nullptr;
    cudaDriverEntryPointQueryResult q{};
    err = cudaGetDriverEntryPointByVersion(name, &p, GREEN_DRIVER_VERSION, cudaEnableDefault, &q);
    if (err == cudaSuccess && (q != cudaDriverEntryPointSuccess || !p)) *missing = name;
    if (err == cudaSuccess && !*missing) fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(p);
  };
#define LOAD(sym) entry(#sym, gd.sym);
  LOAD(cuDeviceGet)
  LOAD(cuDeviceGetDevResource)
  LOAD(cuDevSmResourceSplitByCount)
  LOAD(cuDevResourceGenerateDesc)
  LOAD(cuGreenCtxCreate)
  LOAD(cuGreenCtxDestroy)
  LOAD(cuGreenCtxGetDevResource)
  LOAD(cuGreenCtxStreamCreate)
#undef LOAD
  if (err != cudaSuccess || *missing) gd = {};  // all or nothing
  return err;
}

// Throws from the calling napi function unless the green-context API is there.
#define GREEN_LOADED(env)                                                                                  \
  do {                                                                                                     \
    const char* missing_ = nullptr;                                                                        \
    RT_CHECK(env, load_green(&missing_));                                                                  \
    if (missing_)                                                                                          \
      return throw_failure(env, "driver", "cudaGetDriverEntryPointByVersion(green context API, 12050)",   \
                           __FILE__, __LINE__, "cudaErrorSymbolNotFound",                                  \
                           missing_to_text(missing_));                                                     \
  } while (0)

static const char* missing_to_text(const char* sym) {
  static char text[160];
  std::snprintf(text, sizeof text, "the driver has no %s: green contexts need a CUDA 12.5 or newer driver", sym);
  return text;
}

static napi_value sm_fields(napi_env env, napi_value o, const char* prefix, const CUdevSmResource& sm) {
  char key[64];
  std::snprintf(key, sizeof key, "%sSmCount", prefix);
  napi_set_named_property(env, o, key, number(env, sm.smCount));
  std::snprintf(key, sizeof key, "%sMinPartition", prefix);
  napi_set_named_property(env, o, key, number(env, sm.minSmPartitionSize));
  std::snprintf(key, sizeof key, "%sAlignment", prefix);
  napi_set_named_property(env, o, key, number(env, sm.smCoscheduledAlignment));
  return o;
}

static napi_value resource_bytes(napi_env env, const CUdevResource& r) {
  void* data = nullptr;
  napi_value buf;
  NAPI_CHECK(env, napi_create_arraybuffer(env, sizeof r, &data, &buf));
  std::memcpy(data, &r, sizeof r);
  return buf;
}

// smResource(ordinal) -> { deviceSmCount, deviceMinPartition, deviceAlignment }
// (the device must be open: the runtime has initialized the driver).
static napi_value sm_resource(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  int ordinal = (int)a.num(0);
  if (!a.ok) return nullptr;
  GREEN_LOADED(env);
  CUdevice dev = 0;
  CU_CHECK(env, gd.cuDeviceGet(&dev, ordinal));
  CUdevResource r{};
  CU_CHECK(env, gd.cuDeviceGetDevResource(dev, &r, CU_DEV_RESOURCE_TYPE_SM));
  napi_value o;
  NAPI_CHECK(env, napi_create_object(env, &o));
  return sm_fields(env, o, "device", r.sm);
}

// smSplit(ordinal, minCount, flags) -> { groups, group, groupSmCount, rest, restSmCount, ... }:
// one group of at least minCount SMs (the driver rounds up) and the remainder,
// each as an opaque CUdevResource (ArrayBuffer) for greenCreate.
static napi_value sm_split(napi_env env, napi_callback_info info) {
  Args a(env, info, 3);
  int ordinal = (int)a.num(0);
  unsigned int min_count = (unsigned int)a.num(1);
  unsigned int flags = (unsigned int)a.num(2);
  if (!a.ok) return nullptr;
  GREEN_LOADED(env);
  CUdevice dev = 0;
  CU_CHECK(env, gd.cuDeviceGet(&dev, ordinal));
  CUdevResource whole{}, group{}, rest{};
  CU_CHECK(env, gd.cuDeviceGetDevResource(dev, &whole, CU_DEV_RESOURCE_TYPE_SM));
  unsigned int groups = 1;
  CU_CHECK(env, gd.cuDevSmResourceSplitByCount(&group, &groups, &whole, &rest, flags, min_count));
  napi_value o;
  NAPI_CHECK(env, napi_create_object(env, &o));
  napi_set_named_property(env, o, "groups", number(env, groups));  // 0: no group that large fits
  napi_value g = resource_bytes(env, group);
  if (!g) return nullptr;
  napi_value rb = resource_bytes(env, rest);
  if (!rb) return nullptr;
  napi_set_named_property(env, o, "group", g);
  napi_set_named_property(env, o, "rest", rb);
  sm_fields(env, o, "group", group.sm);
  return sm_fields(env, o, "rest", rest.sm);
}

// greenCreate(ordinal, resource) -> green context holding the SMs of that resource
static napi_value green_create(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  int ordinal = (int)a.num(0);
  size_t len = 0;
  void* bytes = a.bytes(1, &len);
  if (!a.ok) return nullptr;
  USAGE_CHECK(env, bytes && len == sizeof(CUdevResource), "resource must be the bytes smSplit returned");
  GREEN_LOADED(env);
  CUdevResource r;
  std::memcpy(&r, bytes, sizeof r);
  USAGE_CHECK(env, r.type == CU_DEV_RESOURCE_TYPE_SM && r.sm.smCount > 0, "resource holds no SMs");
  CUdevice dev = 0;
  CU_CHECK(env, gd.cuDeviceGet(&dev, ordinal));
  CUdevResourceDesc desc = nullptr;
  CU_CHECK(env, gd.cuDevResourceGenerateDesc(&desc, &r, 1));
  CUgreenCtx g = nullptr;
  CU_CHECK(env, gd.cuGreenCtxCreate(&g, desc, dev, CU_GREEN_CTX_DEFAULT_STREAM));
  return big(env, (uint64_t)g);
}

// greenSmCount(green) -> SMs the driver actually gave the green context
static napi_value green_sm_count(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  CUgreenCtx g = (CUgreenCtx)a.u64(0);
  if (!a.ok) return nullptr;
  GREEN_LOADED(env);
  CUdevResource r{};
  CU_CHECK(env, gd.cuGreenCtxGetDevResource(g, &r, CU_DEV_RESOURCE_TYPE_SM));
  return number(env, r.sm.smCount);
}

// greenStreamCreate(green, priority) -> non-blocking stream whose kernels run on the green context's SMs
static napi_value green_stream_create(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  CUgreenCtx g = (CUgreenCtx)a.u64(0);
  int priority = (int)a.num(1);
  if (!a.ok) return nullptr;
  GREEN_LOADED(env);
  CUstream s = nullptr;
  CU_CHECK(env, gd.cuGreenCtxStreamCreate(&s, g, CU_STREAM_NON_BLOCKING, priority));
  return big(env, (uint64_t)s);
}

// greenDestroy(green): its streams must be destroyed first (streamDestroy).
static napi_value green_destroy(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  CUgreenCtx g = (CUgreenCtx)a.u64(0);
  if (!a.ok) return nullptr;
  GREEN_LOADED(env);
  CU_CHECK(env, gd.cuGreenCtxDestroy(g));
  return undefined(env);
}

// streamPriorities() -> { least, greatest } (greatest is the most urgent, a lower number)
static napi_value stream_priorities(napi_env env, napi_callback_info) {
  int least = 0, greatest = 0;
  RT_CHECK(env, cudaDeviceGetStreamPriorityRange(&least, &greatest));
  napi_value o;
  NAPI_CHECK(env, napi_create_object(env, &o));
  napi_set_named_property(env, o, "least", number(env, least));
  napi_set_named_property(env, o, "greatest", number(env, greatest));
  return o;
}

// blasSetStream(blas, stream): later GEMMs of that cuBLAS handle go on this stream.
static napi_value blas_set_stream(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  cublasHandle_t h = (cublasHandle_t)a.u64(0);
  cudaStream_t s = (cudaStream_t)a.u64(1);
  if (!a.ok) return nullptr;
  USAGE_CHECK(env, blas.cublasSetStream_v2 != nullptr, "cuBLAS is not loaded (blasCreate first)");
  BLAS_CHECK(env, blas.cublasSetStream_v2(h, s));
  return undefined(env);
}

void register_green(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
#define FN(js, c) {js, nullptr, c, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      FN("smResource", sm_resource) FN("smSplit", sm_split) FN("greenCreate", green_create)
      FN("greenSmCount", green_sm_count) FN("greenStreamCreate", green_stream_create)
      FN("greenDestroy", green_destroy) FN("streamPriorities", stream_priorities)
      FN("blasSetStream", blas_set_stream)
#undef FN
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}

}  // namespace handover
