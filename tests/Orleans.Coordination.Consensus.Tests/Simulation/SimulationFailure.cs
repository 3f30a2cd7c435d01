namespace Orleans.Coordination.Consensus.Tests.Simulation;

/// <summary>An invariant the simulator checks did not hold.</summary>
public sealed class SimulationFailure(string message) : Exception(message);
