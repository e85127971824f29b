/**
 * GPU capacity: node pools, their nodes, and which replica runs on which node.
 *
 * <p>{@link io.sluice.autoscaler.capacity.CapacityModel} is the state, an immutable value;
 * {@link io.sluice.autoscaler.capacity.Placement#decide} is the decision, a pure function of the state, each app's
 * {@link io.sluice.autoscaler.capacity.AppDemand} and {@code now}, returning a
 * {@link io.sluice.autoscaler.capacity.PlacementPlan} that holds the next state. Nothing in this package reads a
 * clock, does I/O or talks to a cluster: a runner calls {@code decide} on its tick and carries the plan out through
 * the replica provider.
 */
package io.sluice.autoscaler.capacity;
