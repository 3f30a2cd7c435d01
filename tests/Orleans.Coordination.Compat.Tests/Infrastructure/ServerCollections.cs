namespace Orleans.Coordination.Compat.Tests.Infrastructure;

/// <summary>Tests against our silo share one silo process; they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class SiloCollection : ICollectionFixture<SiloServer>
{
    public const string Name = "Silo";
}

/// <summary>Tests against Apache ZooKeeper share one ZooKeeper process; they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ApacheZooKeeperCollection : ICollectionFixture<ApacheZooKeeperServer>
{
    public const string Name = "ApacheZooKeeper";
}

/// <summary>Tests against a 3-silo ensemble share its three processes; they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class SiloEnsembleCollection : ICollectionFixture<SiloEnsembleServer>
{
    public const string Name = "SiloEnsemble";
}
