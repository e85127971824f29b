package io.sluice.autoscaler.simulate;

import io.sluice.config.GpuType;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * How long a replica takes to serve an LLM request, from its token counts: {@code overhead + prefill × ContextTokens +
 * decode × GeneratedTokens}. The Azure LLM trace records tokens, not service times, so every result replayed from it
 * depends on these parameters; they are printed with every result.
 *
 * <p>A request's service time is fixed by its own tokens, whatever else shares the replica: the decode cost is taken
 * at the batch the replica runs when full (its hard limit), which slightly overstates it for a replica that is not.
 *
 * @param name a short name for the model and hardware measured
 * @param prefillMsPerContextToken milliseconds of prefill per prompt token
 * @param decodeMsPerGeneratedToken milliseconds per generated token (one decode step)
 * @param overheadMs fixed milliseconds per request
 * @param measuredOn the GPU the parameters were measured on; empty when the user gave them
 * @param source where the numbers come from, and how they were read off it
 */
public record ServiceTimeModel(String name, double prefillMsPerContextToken, double decodeMsPerGeneratedToken,
    double overheadMs, Optional<GpuType> measuredOn, String source) {

  // DistServe's vLLM profile of facebook/opt-13b at TP 1 on A100-80GB (profiler-a100-80g.vllm.json):
  // prefill(ms) = a + b * tokens + c * tokens^2, decode step(ms) = a + b * tokens in the batch + c * batch size.
  private static final double DISTSERVE_PREFILL_A = 23.62736227;
  private static final double DISTSERVE_PREFILL_B = 0.15054561;
  private static final double DISTSERVE_PREFILL_C = 8.65348374e-06;
  private static final double DISTSERVE_DECODE_A = 19.562534173678987;
  private static final double DISTSERVE_DECODE_B = 0.0004941120550644942;
  private static final double DISTSERVE_DECODE_C = 0.05060571771697455;
  /** The batch the decode step is evaluated at: the built-in app's replica_concurrency. */
  private static final int DECODE_BATCH = 8;
  /** Tokens per sequence in that batch. */
  private static final int DECODE_SEQUENCE_TOKENS = 1024;

  public ServiceTimeModel {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(measuredOn, "measuredOn");
    Objects.requireNonNull(source, "source");
    require(prefillMsPerContextToken, "prefillMsPerContextToken");
    require(decodeMsPerGeneratedToken, "decodeMsPerGeneratedToken");
    require(overheadMs, "overheadMs");
  }

  /**
   * The default: DistServe's published vLLM profile of OPT-13B on one A100-80GB (Zhong et al., "DistServe:
   * Disaggregating Prefill and Decoding for Goodput-optimized Large Language Model Serving", OSDI 2024; the fitted
   * coefficients are in the paper's simulator, {@code simdistserve/estimators/profile_data/profiler-a100-80g.vllm.json}
   * of github.com/LLMServe/DistServe). Prefill: the fit's intercept (23.63 ms, as the fixed overhead) and its linear
   * term (0.1505 ms per token); its small quadratic term (8.65e-6 ms × tokens²) is left out. Decode: the fit's
   * small-batch step time at a batch of 8 sequences of 1,024 tokens, 24.02 ms per generated token.
   */
  public static ServiceTimeModel distServeOpt13bA100() {
    double decode = DISTSERVE_DECODE_A + DISTSERVE_DECODE_B * DECODE_BATCH * DECODE_SEQUENCE_TOKENS
        + DISTSERVE_DECODE_C * DECODE_BATCH;
    String source = String.format(Locale.ROOT,
        "DistServe (Zhong et al., OSDI 2024), vLLM profile of OPT-13B on one A100-80GB, TP 1: "
            + "github.com/LLMServe/DistServe simdistserve/estimators/profile_data/profiler-a100-80g.vllm.json. "
            + "prefill = %.2f ms + %.4f ms x tokens (its %.2e ms x tokens^2 term left out); "
            + "decode step = %.2f ms + %.6f ms x tokens in batch + %.4f ms x batch, taken at a batch of %d "
            + "(replica_concurrency) x %,d tokens = %.2f ms per generated token",
        DISTSERVE_PREFILL_A, DISTSERVE_PREFILL_B, DISTSERVE_PREFILL_C, DISTSERVE_DECODE_A, DISTSERVE_DECODE_B,
        DISTSERVE_DECODE_C, DECODE_BATCH, DECODE_SEQUENCE_TOKENS, decode);
    return new ServiceTimeModel("OPT-13B on 1 x A100-80GB (vLLM)", DISTSERVE_PREFILL_B, decode, DISTSERVE_PREFILL_A,
        Optional.of(GpuType.A100_80GB), source);
  }

  /** Parameters given by the user, printed as such. */
  public static ServiceTimeModel given(double prefillMsPerContextToken, double decodeMsPerGeneratedToken,
      double overheadMs) {
    return new ServiceTimeModel("given on the command line", prefillMsPerContextToken, decodeMsPerGeneratedToken,
        overheadMs, Optional.empty(), "--prefill-ms, --decode-ms and --overhead-ms");
  }

  /** The service time of a request with these token counts, in nanoseconds. */
  public long serviceNanos(long contextTokens, long generatedTokens) {
    double ms = overheadMs + prefillMsPerContextToken * contextTokens + decodeMsPerGeneratedToken * generatedTokens;
    return Math.round(ms * 1_000_000);
  }

  /** {@code 23.63 ms + 0.1505 ms x ContextTokens + 24.02 ms x GeneratedTokens}. */
  public String formula() {
    return String.format(Locale.ROOT, "%.2f ms + %.4f ms x ContextTokens + %.2f ms x GeneratedTokens", overheadMs,
        prefillMsPerContextToken, decodeMsPerGeneratedToken);
  }

  private static void require(double value, String key) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(key + ": " + value + " (expected: finite and >= 0)");
    }
  }
}
