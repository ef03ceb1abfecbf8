// Failures become JavaScript errors at once: an Error with the fields `call`
// (the C++ expression), `file`, `line`, `code` (the API's error name) and the
// driver's message. Nothing is stored for later: no global error state.
#pragma once
#include <node_api.h>
#include <cuda.h>
#include <cuda_runtime_api.h>

namespace handover {

// Throws a JS Error and returns nullptr so a napi callback can `return` it.
napi_value throw_failure(napi_env env, const char* api, const char* call, const char* file, int line,
                         const char* code, const char* message);
napi_value throw_cu(napi_env env, const char* call, const char* file, int line, CUresult r);
napi_value throw_rt(napi_env env, const char* call, const char* file, int line, cudaError_t r);
napi_value throw_blas(napi_env env, const char* call, const char* file, int line, int status);
napi_value throw_usage(napi_env env, const char* call, const char* file, int line, const char* message);

}  // namespace handover

#define CU_CHECK(env, expr)                                                              \
  do {                                                                                   \
    CUresult r_ = (expr);                                                                \
    if (r_ != CUDA_SUCCESS) return handover::throw_cu(env, #expr, __FILE__, __LINE__, r_); \
  } while (0)

#define RT_CHECK(env, expr)                                                              \
  do {                                                                                   \
    cudaError_t r_ = (expr);                                                             \
    if (r_ != cudaSuccess) return handover::throw_rt(env, #expr, __FILE__, __LINE__, r_); \
  } while (0)

#define BLAS_CHECK(env, expr)                                                              \
  do {                                                                                     \
    int r_ = (int)(expr);                                                                  \
    if (r_ != 0) return handover::throw_blas(env, #expr, __FILE__, __LINE__, r_);          \
  } while (0)

// Node-API calls themselves are checked too: a failed one leaves a pending exception.
#define NAPI_CHECK(env, expr)                                                      \
  do {                                                                             \
    if ((expr) != napi_ok) return handover::throw_usage(env, #expr, __FILE__, __LINE__, "Node-API call failed"); \
  } while (0)

#define USAGE_CHECK(env, cond, msg)                                                    \
  do {                                                                                 \
    if (!(cond)) return handover::throw_usage(env, #cond, __FILE__, __LINE__, msg);    \
  } while (0)
