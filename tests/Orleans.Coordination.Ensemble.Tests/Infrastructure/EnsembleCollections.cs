namespace Orleans.Coordination.Ensemble.Tests.Infrastructure;

/// <summary>
/// The 3-silo test classes share one ensemble; collections run one after another (xunit.runner.json), so only one
/// ensemble runs at a time on the machine.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ThreeSiloCollection : ICollectionFixture<ThreeSiloEnsemble>
{
    public const string Name = "3-silo ensemble";
}

/// <summary>The 5-silo test class.</summary>
[CollectionDefinition(Name)]
public sealed class FiveSiloCollection : ICollectionFixture<FiveSiloEnsemble>
{
    public const string Name = "5-silo ensemble";
}
