// NCCL for data-parallel training (src/parallel/nccl.ts): loaded with dlopen at
// first use and declared here (the build machine has no NCCL). Only the
// mechanics: ids, communicators, the all-reduce on a given stream, abort.
// Which step is reduced, and when, is decided in TypeScript.
#include <dlfcn.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include "errors.h"
#include "napi_util.h"

namespace handover {

// The public NCCL ABI (nccl.h): ncclUniqueId is 128 bytes passed by value,
// ncclComm_t an opaque pointer, enums are ints.
static const size_t NCCL_ID_BYTES = 128;
struct NcclId {
  char internal[NCCL_ID_BYTES];
};
typedef struct NcclComm* ncclComm_t;
typedef int ncclResult_t;  // ncclSuccess = 0, ncclInProgress = 7
static const int NCCL_SUCCESS = 0;
static const int NCCL_FLOAT32 = 7;  // ncclFloat32
static const int NCCL_SUM = 0;      // ncclSum

struct Nccl {
  ncclResult_t (*ncclGetVersion)(int*);
  ncclResult_t (*ncclGetUniqueId)(NcclId*);
  ncclResult_t (*ncclCommInitRank)(ncclComm_t*, int, NcclId, int);
  ncclResult_t (*ncclAllReduce)(const void*, void*, size_t, int, int, ncclComm_t, cudaStream_t);
  ncclResult_t (*ncclCommAbort)(ncclComm_t);
  ncclResult_t (*ncclCommDestroy)(ncclComm_t);
  ncclResult_t (*ncclCommGetAsyncError)(ncclComm_t, ncclResult_t*);
  const char* (*ncclGetErrorString)(ncclResult_t);
};

static Nccl nccl{};
static std::string load_error;

// dlopens NCCL (HANDOVER_NCCL, then libnccl.so.2, libnccl.so). nullptr on success.
static const char* load_nccl() {
  if (nccl.ncclAllReduce) return nullptr;
  const char* env = std::getenv("HANDOVER_NCCL");
  const char* names[] = {env, "libnccl.so.2", "libnccl.so"};
  void* lib = nullptr;
  load_error = "NCCL not found (libnccl.so.2): ";
  for (const char* n : names) {
    if (!n) continue;
    lib = dlopen(n, RTLD_NOW | RTLD_LOCAL);
    if (lib) break;
    const char* e = dlerror();
    load_error += e ? e : n;
    load_error += "; ";
  }
  if (!lib) return load_error.c_str();
  Nccl n{};
#define SYM(name)                                                       \
  n.name = reinterpret_cast<decltype(n.name)>(dlsym(lib, #name));       \
  if (!n.name) {                                                        \
    load_error = "NCCL found but dlsym(" #name ") failed";              \
    return load_error.c_str();                                          \
  }
  SYM(ncclGetVersion)
  SYM(ncclGetUniqueId)
  SYM(ncclCommInitRank)
  SYM(ncclCommAbort)
  SYM(ncclCommDestroy)
  SYM(ncclCommGetAsyncError)
  SYM(ncclGetErrorString)
  SYM(ncclAllReduce)  // last: its being set means all are
#undef SYM
  nccl = n;
  return nullptr;
}

static const char* result_name(ncclResult_t r) {
  static const char* names[] = {"ncclSuccess", "ncclUnhandledCudaError", "ncclSystemError", "ncclInternalError",
                                "ncclInvalidArgument", "ncclInvalidUsage", "ncclRemoteError", "ncclInProgress"};
  return r >= 0 && r < 8 ? names[r] : "ncclError";
}

static napi_value throw_nccl(napi_env env, const char* call, const char* file, int line, ncclResult_t r) {
  const char* text = nccl.ncclGetErrorString ? nccl.ncclGetErrorString(r) : "NCCL error";
  return throw_failure(env, "nccl", call, file, line, result_name(r), text);
}

#define NCCL_CHECK(env, expr)                                                       \
  do {                                                                              \
    ncclResult_t r_ = (expr);                                                       \
    if (r_ != NCCL_SUCCESS) return throw_nccl(env, #expr, __FILE__, __LINE__, r_);  \
  } while (0)

#define NCCL_LOADED(env)                                                                              \
  do {                                                                                                \
    const char* missing_ = load_nccl();                                                               \
    if (missing_) return throw_failure(env, "nccl", "dlopen(libnccl.so.2)", __FILE__, __LINE__,       \
                                       "NCCL_NOT_FOUND", missing_);                                   \
  } while (0)

// ncclVersion() -> version code (e.g. 22805 for 2.28.5)
static napi_value nccl_version(napi_env env, napi_callback_info) {
  NCCL_LOADED(env);
  int v = 0;
  NCCL_CHECK(env, nccl.ncclGetVersion(&v));
  return number(env, v);
}

// ncclUniqueId() -> ArrayBuffer of 128 bytes (rank 0 makes it, every rank gets it)
static napi_value nccl_unique_id(napi_env env, napi_callback_info) {
  NCCL_LOADED(env);
  NcclId id{};
  NCCL_CHECK(env, nccl.ncclGetUniqueId(&id));
  void* data = nullptr;
  napi_value buf;
  NAPI_CHECK(env, napi_create_arraybuffer(env, NCCL_ID_BYTES, &data, &buf));
  std::memcpy(data, id.internal, NCCL_ID_BYTES);
  return buf;
}

// ncclCommInitRank(id, nranks, rank) -> comm. Blocks until all ranks have called it;
// the current device (CudaDevice.open set it) is the rank's GPU.
static napi_value nccl_comm_init(napi_env env, napi_callback_info info) {
  Args a(env, info, 3);
  size_t len = 0;
  void* bytes = a.bytes(0, &len);
  int nranks = (int)a.num(1), rank = (int)a.num(2);
  if (!a.ok) return nullptr;
  USAGE_CHECK(env, len == NCCL_ID_BYTES, "the NCCL unique id must be 128 bytes");
  USAGE_CHECK(env, nranks >= 1 && rank >= 0 && rank < nranks, "rank must be in 0..nranks-1");
  NCCL_LOADED(env);
  NcclId id{};
  std::memcpy(id.internal, bytes, NCCL_ID_BYTES);
  ncclComm_t comm = nullptr;
  NCCL_CHECK(env, nccl.ncclCommInitRank(&comm, nranks, id, rank));
  return big(env, (uint64_t)comm);
}

// ncclAllReduceSum(comm, send, recv, count, stream): float32 sum, in place when send == recv.
static napi_value nccl_all_reduce(napi_env env, napi_callback_info info) {
  Args a(env, info, 5);
  ncclComm_t comm = (ncclComm_t)a.u64(0);
  void* send = (void*)a.u64(1);
  void* recv = (void*)a.u64(2);
  size_t count = (size_t)a.u64(3);
  cudaStream_t stream = (cudaStream_t)a.u64(4);
  if (!a.ok) return nullptr;
  USAGE_CHECK(env, comm != nullptr, "no NCCL communicator");
  NCCL_LOADED(env);
  NCCL_CHECK(env, nccl.ncclAllReduce(send, recv, count, NCCL_FLOAT32, NCCL_SUM, comm, stream));
  return undefined(env);
}

// ncclCommAsyncError(comm) -> error name ('ncclSuccess', 'ncclInProgress', or a failure)
static napi_value nccl_async_error(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  ncclComm_t comm = (ncclComm_t)a.u64(0);
  if (!a.ok) return nullptr;
  NCCL_LOADED(env);
  ncclResult_t state = NCCL_SUCCESS;
  NCCL_CHECK(env, nccl.ncclCommGetAsyncError(comm, &state));
  napi_value s;
  NAPI_CHECK(env, napi_create_string_utf8(env, result_name(state), NAPI_AUTO_LENGTH, &s));
  return s;
}

// A call that takes only the communicator: ncclCommAbort (frees it at once,
// ending any collective in flight) or ncclCommDestroy (after its work).
static napi_value comm_call(napi_env env, napi_callback_info info, ncclResult_t (*Nccl::*fn)(ncclComm_t), const char* call) {
  Args a(env, info, 1);
  ncclComm_t comm = (ncclComm_t)a.u64(0);
  if (!a.ok) return nullptr;
  NCCL_LOADED(env);
  ncclResult_t r = (nccl.*fn)(comm);
  if (r != NCCL_SUCCESS) return throw_nccl(env, call, __FILE__, __LINE__, r);
  return undefined(env);
}

static napi_value nccl_comm_abort(napi_env env, napi_callback_info info) {
  return comm_call(env, info, &Nccl::ncclCommAbort, "nccl.ncclCommAbort(comm)");
}

static napi_value nccl_comm_destroy(napi_env env, napi_callback_info info) {
  return comm_call(env, info, &Nccl::ncclCommDestroy, "nccl.ncclCommDestroy(comm)");
}

void register_nccl(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
#define FN(js, c) {js, nullptr, c, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      FN("ncclVersion", nccl_version) FN("ncclUniqueId", nccl_unique_id) FN("ncclCommInitRank", nccl_comm_init)
      FN("ncclAllReduceSum", nccl_all_reduce) FN("ncclCommAsyncError", nccl_async_error)
      FN("ncclCommAbort", nccl_comm_abort) FN("ncclCommDestroy", nccl_comm_destroy)
#undef FN
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}

}  // namespace handover
