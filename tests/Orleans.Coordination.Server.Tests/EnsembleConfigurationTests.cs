using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Server.Tests.TestSupport;

namespace Orleans.Coordination.Server.Tests;

/// <summary>The <c>ensemble</c> section of silo.json and its command-line form.</summary>
public sealed class EnsembleConfigurationTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "coord-config-tests", Guid.NewGuid().ToString("N"));

    public EnsembleConfigurationTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteConfig(string json)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    private SiloConfigException Rejects(string json, params string[] args) =>
        Assert.Throws<SiloConfigException>(() => SiloConfigLoader.Load(["--config", WriteConfig(json), .. args]));

    [Fact]
    public void Members_as_objects_are_loaded()
    {
        var o = SiloConfigLoader.Load(["--config", WriteConfig("""
            {
              "serverId": 2,
              "ensemble": {
                "members": [
                  { "id": 1, "host": "10.0.0.1", "quorumPort": 2888, "electionPort": 3888, "clientPort": 2181 },
                  { "id": 2, "host": "10.0.0.2", "quorumPort": 2888, "electionPort": 3888, "role": "voter" },
                  { "id": 3, "host": "10.0.0.3", "quorumPort": 2888, "electionPort": 3888, "role": "observer" }
                ],
                "tickMs": 100, "syncLimit": 5, "initLimit": 20, "commitLogCount": 500
              }
            }
            """)]);
        Assert.True(o.Ensemble.IsReplicated);
        Assert.Equal(3, o.Ensemble.Members.Count);
        Assert.Equal(new EnsembleMemberOptions(1, "10.0.0.1", 2888, 3888, EnsembleRole.Voter, 2181), o.Ensemble.Members[0]);
        Assert.Equal(EnsembleRole.Observer, o.Ensemble.Members[2].Role);
        Assert.Equal((100, 5, 20, 500), (o.Ensemble.TickMs, o.Ensemble.SyncLimit, o.Ensemble.InitLimit, o.Ensemble.CommitLogCount));
    }

    [Fact]
    public void The_shipped_multi_host_example_loads_as_a_three_voter_ensemble()
    {
        var example = Repository.File("infra", "silo.multi-host.example.json");
        var o = SiloConfigLoader.Load(["--config", example]);
        Assert.True(o.Ensemble.IsReplicated);
        Assert.Equal(1, o.ServerId);
        Assert.Equal([1, 2, 3], o.Ensemble.Members.Select(m => m.Id));
        Assert.All(o.Ensemble.Members, m => Assert.Equal(EnsembleRole.Voter, m.Role));
        Assert.Equal("10.0.0.12", o.Ensemble.Members[1].Host);
        Assert.Equal("127.0.0.1", o.AdminAddress);
        Assert.False(string.IsNullOrEmpty(o.AdminToken));

        // The other hosts' files differ only in serverId.
        var second = SiloConfigLoader.Load(["--config", example, "--serverId", "2"]);
        Assert.Equal(o.Ensemble.Members, second.Ensemble.Members);
    }


    [Fact]
    public void Members_in_text_form_come_from_the_command_line()
    {
        var o = SiloConfigLoader.Load(["--serverId", "3", "--ensemble.members", "1=127.0.0.1:2891:3891;2181, 2=127.0.0.1:2892:3892:voter,3=127.0.0.1:2893:3893:observer;2183"]);
        Assert.Equal(
            [
                new EnsembleMemberOptions(1, "127.0.0.1", 2891, 3891, EnsembleRole.Voter, 2181),
                new EnsembleMemberOptions(2, "127.0.0.1", 2892, 3892, EnsembleRole.Voter, 0),
                new EnsembleMemberOptions(3, "127.0.0.1", 2893, 3893, EnsembleRole.Observer, 2183),
            ],
            o.Ensemble.Members);

        // The text form round-trips.
        Assert.Equal(o.Ensemble.Members[2], EnsembleMemberOptions.Parse(o.Ensemble.Members[2].ToString()));
    }

    [Fact]
    public void No_ensemble_or_a_single_member_is_standalone()
    {
        Assert.False(SiloConfigLoader.Load([]).Ensemble.IsReplicated);
        Assert.False(SiloConfigLoader.Load(["--ensemble.members", "1=127.0.0.1:2891:3891"]).Ensemble.IsReplicated);
    }

    [Theory]
    [InlineData("""{ "ensemble": { "members": [ { "id": 1, "host": "h", "quorumPort": 1, "electionPort": 2, "colour": "red" } ] } }""", "colour")]
    [InlineData("""{ "ensemble": { "members": [ { "id": 1, "host": "h", "quorumPort": 70000, "electionPort": 2 } ] } }""", "quorumPort")]
    [InlineData("""{ "ensemble": { "members": [ { "id": 1, "host": "h", "electionPort": 2 } ] } }""", "quorumPort")]
    [InlineData("""{ "ensemble": { "members": [ { "id": 1, "host": "h", "quorumPort": 1, "electionPort": 2, "role": "leader" } ] } }""", "role")]
    [InlineData("""{ "ensemble": { "members": "1=h:1:2" } }""", "ensemble.members")]
    [InlineData("""{ "ensemble": { "members": ["1=h:1"] } }""", "ensemble.members[0]")]
    [InlineData("""{ "ensemble": { "members": ["1=h:1:2", "1=h:3:4"] } }""", "ensemble.members")]
    [InlineData("""{ "ensemble": { "members": ["1=h:1:2", "2=h:2:3"] } }""", "ensemble.members")]
    [InlineData("""{ "ensemble": { "members": ["1=h:1:2:observer", "2=h:3:4:observer"] } }""", "ensemble.members")]
    [InlineData("""{ "ensemble": { "tickMs": 0 } }""", "ensemble.tickMs")]
    [InlineData("""{ "ensemble": { "syncLimit": 50, "initLimit": 40 } }""", "ensemble.syncLimit")]
    [InlineData("""{ "ensemble": { "size": 3 } }""", "ensemble.size")]
    [InlineData("""{ "ensemble": { "commitLogCount": 0 } }""", "ensemble.commitLogCount")]
    public void A_bad_ensemble_setting_is_named(string json, string key)
    {
        var e = Rejects(json);
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_server_id_must_be_a_member()
    {
        var e = Rejects("""{ "serverId": 4, "ensemble": { "members": ["1=h:1:2", "2=h:3:4", "3=h:5:6"] } }""");
        Assert.Contains("serverId", e.Message, StringComparison.Ordinal);
        Assert.Contains("ensemble.members", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_member_on_the_command_line_says_what_is_wrong()
    {
        var e = Assert.Throws<SiloConfigException>(() => SiloConfigLoader.Load(["--ensemble.members", "1=h:1:2,2=h:x:4"]));
        Assert.Contains("ensemble.members", e.Message, StringComparison.Ordinal);
        Assert.Contains("quorum port", e.Message, StringComparison.Ordinal);
    }
}
