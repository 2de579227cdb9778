/*
 * The native ceiling for the bench: the design note's DIST (SPEC.md; eps where core's epsPlacement
 * puts it) fused into three passes over the rows, float32 storage with float64 sums, built with
 * -O3 -march=native -ffast-math (vector expf from glibc's libmvec) and run on OpenMP threads. It is
 * what this machine can do natively, not a product: the bench reports how far each backend is from it.
 *
 * Speaks JSON lines on stdin/stdout, as the bench's PyTorch baseline does (one flat object a line):
 *   on start  {"ready": true, "threads": N}
 *   {"cmd": "load", "batch": B, "classes": C, "beta": b, "gamma": g, "tau": t, "eps": e,
 *    "eps_inside": e or 0 (core's epsPlacement), "path": P}
 *             reads B*C student then B*C teacher float32 logits from the file P -> {"ok": true}
 *   {"cmd": "run", "op": "forward" | "forward+backward"} -> {"ok": true, "ms": ..., "loss": ...}
 *   {"cmd": "quit"}
 * A failed command answers {"ok": false, "error": "..."}.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int B, C;
static double beta, gamma_, tau, eps, eps_inside;
static float *student, *teacher, *p, *q, *gradient;
static double *row_u, *row_v, *col_mean_p, *col_mean_q, *col_u, *col_v;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* corr and its gradient terms from centred sums: dcorr/dx = u * yc - v * xc. */
static double correlate(double sxy, double sxx, double syy, double *u, double *v) {
  double a = sqrt(sxx + eps_inside), b = sqrt(syy + eps_inside), d = a * b + eps, r = sxy / d;
  *u = 1 / d;
  *v = a == 0 ? 0 : r * b / (a * d);
  return r;
}

static void softmax_row(const float *x, float *out) {
  float max = x[0];
  for (int j = 1; j < C; j++) max = x[j] > max ? x[j] : max;
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int j = 0; j < C; j++) {
    out[j] = expf((x[j] - max) / (float)tau);
    sum += out[j];
  }
  float inverse = (float)(1 / sum);
#pragma omp simd
  for (int j = 0; j < C; j++) out[j] *= inverse;
}

static double run(int with_gradient) {
  double inter_sum = 0, intra_sum = 0;
  int threads = omp_get_max_threads();
  double *partial = calloc((size_t)threads * 5 * C, sizeof(double));
  const float mean_row = 1.0f / C;
#pragma omp parallel reduction(+ : inter_sum)
  {
    double *sp = partial + (size_t)omp_get_thread_num() * 5 * C, *sq = sp + C;
    /* Pass 1: softmax, the row's correlation (a softmax row's mean is 1/C), column sums. */
#pragma omp for schedule(static)
    for (int i = 0; i < B; i++) {
      float *pi = p + (size_t)i * C, *qi = q + (size_t)i * C;
      softmax_row(student + (size_t)i * C, pi);
      softmax_row(teacher + (size_t)i * C, qi);
      double sxy = 0, sxx = 0, syy = 0;
#pragma omp simd reduction(+ : sxy, sxx, syy)
      for (int j = 0; j < C; j++) {
        double x = pi[j] - mean_row, y = qi[j] - mean_row;
        sxy += x * y;
        sxx += x * x;
        syy += y * y;
        sp[j] += pi[j];
        sq[j] += qi[j];
      }
      inter_sum += 1 - correlate(sxy, sxx, syy, &row_u[i], &row_v[i]);
    }
#pragma omp single
    for (int j = 0; j < C; j++) {
      double mp = 0, mq = 0;
      for (int t = 0; t < threads; t++) mp += partial[(size_t)t * 5 * C + j], mq += partial[(size_t)t * 5 * C + C + j];
      col_mean_p[j] = mp / B;
      col_mean_q[j] = mq / B;
    }
    /* Pass 2: the columns' centred sums. */
    double *sxy = sp + 2 * C, *sxx = sp + 3 * C, *syy = sp + 4 * C;
#pragma omp for schedule(static)
    for (int i = 0; i < B; i++) {
      const float *pi = p + (size_t)i * C, *qi = q + (size_t)i * C;
#pragma omp simd
      for (int j = 0; j < C; j++) {
        double x = pi[j] - col_mean_p[j], y = qi[j] - col_mean_q[j];
        sxy[j] += x * y;
        sxx[j] += x * x;
        syy[j] += y * y;
      }
    }
  }
  for (int j = 0; j < C; j++) {
    double a = 0, b = 0, c = 0;
    for (int t = 0; t < threads; t++) {
      const double *base = partial + (size_t)t * 5 * C;
      a += base[2 * C + j], b += base[3 * C + j], c += base[4 * C + j];
    }
    intra_sum += 1 - correlate(a, b, c, &col_u[j], &col_v[j]);
  }
  free(partial);
  if (with_gradient) {
    /* Pass 3: G = dloss/dp, then the softmax backward per row. */
    double row_scale = beta * tau / B, col_scale = gamma_ * tau / C;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < B; i++) {
      const float *pi = p + (size_t)i * C, *qi = q + (size_t)i * C;
      float *gi = gradient + (size_t)i * C;
      double dot = 0;
#pragma omp simd reduction(+ : dot)
      for (int j = 0; j < C; j++) {
        double g = -row_scale * (row_u[i] * (qi[j] - mean_row) - row_v[i] * (pi[j] - mean_row)) -
                   col_scale * (col_u[j] * (qi[j] - col_mean_q[j]) - col_v[j] * (pi[j] - col_mean_p[j]));
        gi[j] = (float)g;
        dot += pi[j] * g;
      }
#pragma omp simd
      for (int j = 0; j < C; j++) gi[j] = pi[j] * (gi[j] - (float)dot);
    }
  }
  return tau * tau * (beta * inter_sum / B + gamma_ * intra_sum / C);
}

/* The value after "key": in a flat JSON object: a number, or a string copied into `out`. */
static const char *field(const char *line, const char *key) {
  char quoted[64];
  snprintf(quoted, sizeof quoted, "\"%s\":", key);
  const char *at = strstr(line, quoted);
  if (!at) return NULL;
  at += strlen(quoted);
  while (*at == ' ') at++;
  return at;
}

static double number(const char *line, const char *key) {
  const char *at = field(line, key);
  return at ? strtod(at, NULL) : NAN;
}

static int string(const char *line, const char *key, char *out, size_t size) {
  const char *at = field(line, key);
  if (!at || *at != '"') return 0;
  const char *end = strchr(at + 1, '"');
  if (!end || (size_t)(end - at - 1) >= size) return 0;
  memcpy(out, at + 1, (size_t)(end - at - 1));
  out[end - at - 1] = 0;
  return 1;
}

static int load(const char *line) {
  char path[4000];
  B = (int)number(line, "batch");
  C = (int)number(line, "classes");
  beta = number(line, "beta");
  gamma_ = number(line, "gamma");
  tau = number(line, "tau");
  eps = number(line, "eps");
  eps_inside = number(line, "eps_inside");
  if (B <= 0 || C <= 0 || !string(line, "path", path, sizeof path)) return 0;
  size_t n = (size_t)B * C;
  float **arrays[] = {&student, &teacher, &p, &q, &gradient};
  for (int k = 0; k < 5; k++) *arrays[k] = realloc(*arrays[k], n * sizeof(float));
  double **columns[] = {&col_mean_p, &col_mean_q, &col_u, &col_v};
  for (int k = 0; k < 4; k++) *columns[k] = realloc(*columns[k], (size_t)C * sizeof(double));
  row_u = realloc(row_u, (size_t)B * sizeof(double));
  row_v = realloc(row_v, (size_t)B * sizeof(double));
  FILE *f = fopen(path, "rb");
  int read = f && fread(student, sizeof(float), n, f) == n && fread(teacher, sizeof(float), n, f) == n;
  if (f) fclose(f);
  return read;
}

int main(void) {
  static char line[1 << 16];
  char command[32], op[32];
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("{\"ready\": true, \"threads\": %d}\n", omp_get_max_threads());
  while (fgets(line, sizeof line, stdin)) {
    if (!string(line, "cmd", command, sizeof command)) {
      printf("{\"ok\": false, \"error\": \"no cmd\"}\n");
    } else if (strcmp(command, "load") == 0) {
      if (load(line)) printf("{\"ok\": true}\n");
      else printf("{\"ok\": false, \"error\": \"bad load request, or the logits file could not be read\"}\n");
    } else if (strcmp(command, "run") == 0 && string(line, "op", op, sizeof op)) {
      double start = now_ms();
      double loss = run(strcmp(op, "forward+backward") == 0);
      printf("{\"ok\": true, \"ms\": %.6f, \"loss\": %.17g}\n", now_ms() - start, loss);
    } else if (strcmp(command, "quit") == 0) {
      return 0;
    } else {
      printf("{\"ok\": false, \"error\": \"unknown command %s\"}\n", command);
    }
  }
  return 0;
}
