/**
 * The scaling decision: a {@link io.sluice.autoscaler.decision.ScalingPolicy} turns an app's
 * {@link io.sluice.autoscaler.decision.DeciderSpec}, what is observed now ({@link
 * io.sluice.autoscaler.decision.ScalingInputs}) and the state kept from the previous decision into a {@link
 * io.sluice.autoscaler.decision.ScaleDecision} and the next state. Pure functions of their arguments and {@code now}:
 * the same code decides on a node, in the simulator and in tests.
 *
 * <p>Two policies: {@code knative}, which reproduces Knative Serving's KPA so that it can be checked against Knative's
 * own test cases, and {@code sluice}, the default, which also looks at the hold queue, replica start-up time and the
 * warm buffer.
 */
package io.sluice.autoscaler.decision;
