// cuBLAS, loaded with dlopen and declared here: the build machine has no
// cuBLAS, and only these few functions are called.
#pragma once
#include <cuda_runtime_api.h>

namespace handover {

typedef struct cublasContext* cublasHandle_t;
enum BlasOp { BLAS_OP_N = 0, BLAS_OP_T = 1 };

struct Blas {
  int (*cublasCreate_v2)(cublasHandle_t*);
  int (*cublasDestroy_v2)(cublasHandle_t);
  int (*cublasSetStream_v2)(cublasHandle_t, cudaStream_t);
  int (*cublasSetWorkspace_v2)(cublasHandle_t, void*, size_t);
  int (*cublasSgemm_v2)(cublasHandle_t, int transa, int transb, int m, int n, int k, const float* alpha,
                        const float* A, int lda, const float* B, int ldb, const float* beta, float* C, int ldc);
  int (*cublasSgemmStridedBatched)(cublasHandle_t, int transa, int transb, int m, int n, int k, const float* alpha,
                                   const float* A, int lda, long long strideA, const float* B, int ldb,
                                   long long strideB, const float* beta, float* C, int ldc, long long strideC,
                                   int batchCount);
  const char* (*cublasGetStatusString)(int);
};

extern Blas blas;

// dlopens cuBLAS (HANDOVER_CUBLAS, then libcublas.so.13, libcublas.so, the CUDA
// toolkit's lib64). Returns nullptr on success, else what failed (with dlerror text).
const char* load_blas();
const char* blas_status_string(int status);

}  // namespace handover
