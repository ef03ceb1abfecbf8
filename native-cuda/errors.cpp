#include "errors.h"
#include "blas.h"
#include "driver.h"
#include <cstdio>
#include <cstring>

namespace handover {

static void set_str(napi_env env, napi_value obj, const char* key, const char* value) {
  napi_value v;
  if (napi_create_string_utf8(env, value ? value : "", NAPI_AUTO_LENGTH, &v) == napi_ok)
    napi_set_named_property(env, obj, key, v);
}

napi_value throw_failure(napi_env env, const char* api, const char* call, const char* file, int line,
                         const char* code, const char* message) {
  const char* base = std::strrchr(file, '/');
  char where[256];
  std::snprintf(where, sizeof where, "native-cuda/%s", base ? base + 1 : file);
  file = where;
  char text[1024];
  std::snprintf(text, sizeof text, "%s failed: %s (%s) at %s:%d", call, message, code, file, line);
  napi_value msg, err, ln;
  if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg) != napi_ok) return nullptr;
  if (napi_create_error(env, nullptr, msg, &err) != napi_ok) return nullptr;
  set_str(env, err, "api", api);
  set_str(env, err, "call", call);
  set_str(env, err, "file", file);
  set_str(env, err, "code", code);
  set_str(env, err, "detail", message);
  if (napi_create_int32(env, line, &ln) == napi_ok) napi_set_named_property(env, err, "line", ln);
  napi_throw(env, err);
  return nullptr;
}

napi_value throw_cu(napi_env env, const char* call, const char* file, int line, CUresult r) {
  const char* name = "CUDA_ERROR";
  const char* text = "unknown driver error";
  if (drv.cuGetErrorName) drv.cuGetErrorName(r, &name);
  if (drv.cuGetErrorString) drv.cuGetErrorString(r, &text);
  return throw_failure(env, "driver", call, file, line, name, text);
}

napi_value throw_rt(napi_env env, const char* call, const char* file, int line, cudaError_t r) {
  return throw_failure(env, "runtime", call, file, line, cudaGetErrorName(r), cudaGetErrorString(r));
}

napi_value throw_blas(napi_env env, const char* call, const char* file, int line, int status) {
  char code[32];
  std::snprintf(code, sizeof code, "CUBLAS_STATUS_%d", status);
  return throw_failure(env, "cublas", call, file, line, code, blas_status_string(status));
}

napi_value throw_usage(napi_env env, const char* call, const char* file, int line, const char* message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return nullptr;
  return throw_failure(env, "addon", call, file, line, "EINVAL", message);
}

}  // namespace handover
