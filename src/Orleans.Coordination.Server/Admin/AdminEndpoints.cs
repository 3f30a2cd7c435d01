using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Coordination.DataTree.Acls;
using Orleans.Coordination.Server.Diagnostics;
using Orleans.Coordination.Server.Processing;
using Orleans.Coordination.Server.Quorum;
using Orleans.Coordination.Storage.Snapshots;

namespace Orleans.Coordination.Server.Admin;

/// <summary>
/// The admin HTTP endpoint: GET /commands/&lt;name&gt; for every four-letter word and the AdminServer commands of
/// ZooKeeper that fit (lead, voting_view, zabstate, lsnp; each also under its long ZooKeeper name), as JSON; POST
/// /commands/snapshot (authenticated); GET /metrics (Prometheus text format); /health/live and /health/ready.
/// </summary>
public static class AdminEndpoints
{
    /// <summary>How long an endpoint waits for the apply loop before answering 503 (a frozen silo must not hang probes).</summary>
    public static readonly TimeSpan ApplyLoopTimeout = TimeSpan.FromSeconds(5);

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>ZooKeeper AdminServer's long names, mapped to the short name this endpoint runs.</summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["server_stats"] = "srvr",
        ["stats"] = "stat",
        ["configuration"] = "conf",
        ["config"] = "conf",
        ["connections"] = "cons",
        ["environment"] = "envi",
        ["env"] = "envi",
        ["monitor"] = "mntr",
        ["watch_summary"] = "wchs",
        ["watches"] = "wchc",
        ["watches_by_path"] = "wchp",
        ["connection_stat_reset"] = "crst",
        ["stat_reset"] = "srst",
        ["get_trace_mask"] = "gtmk",
        ["set_trace_mask"] = "stmk",
        ["is_read_only"] = "isro",
        ["last_snapshot"] = "lsnp",
        ["leader"] = "lead",
    };

    /// <summary>Commands of ZooKeeper's AdminServer that are not four-letter words on the client port.</summary>
    private static readonly string[] AdminOnly = ["lead", "voting_view", "zabstate", "lsnp"];

    /// <summary>As ZooKeeper's AdminServer: these answer while the silo does not serve; the others answer an error.</summary>
    private static readonly HashSet<string> AnswerWhileNotServing = new(StringComparer.Ordinal) { "envi", "gtmk", "stmk", "mntr", "zabstate" };

    /// <summary>Every command name GET /commands/&lt;name&gt; accepts (short names).</summary>
    public static IReadOnlyList<string> Commands { get; } =
        [.. Protocol.Framing.FourLetterWord.All.Where(w => w != "bkup"), .. AdminOnly];

    public static void Map(IEndpointRouteBuilder app, SiloCore core)
    {
        app.MapGet("/health/live", () => Results.Text("live\n"));
        app.MapGet("/health/ready", async () =>
        {
            // Ready only while serving: for an ensemble member that means joined to a leader that has a quorum.
            var (answered, s) = await OnApplyLoop(core, () => (core.IsServing, core.Replication.Mode, core.FailureReason));
            if (!answered)
            {
                return Results.Text("not serving: the apply loop does not answer\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            return s.IsServing
                ? Results.Text($"ready: {s.Mode}\n")
                : Results.Text($"not serving: {s.FailureReason ?? s.Mode}\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        app.MapGet("/commands", () => Results.Json(new { commands = Commands.Append("snapshot"), aliases = Aliases }, JsonOptions));
        app.MapGet("/commands/{name}", (string name) => RunCommandAsync(core, name));
        app.MapPost("/commands/snapshot", async (HttpRequest request) =>
        {
            if (Authorize(core, request) is { } refusal)
            {
                return refusal;
            }

            var meta = await core.TakeSnapshotAsync();
            return Results.Json(
                new
                {
                    command = "snapshot",
                    error = (string?)null,
                    id = meta.Id,
                    lastZxid = $"0x{meta.LastZxid:x}",
                    nodeCount = meta.NodeCount,
                    digest = $"{meta.Digest:x16}",
                    rawSize = meta.RawSize,
                    compressedSize = meta.CompressedSize,
                },
                JsonOptions);
        });
        app.MapGet("/metrics", async () =>
        {
            var (answered, text) = await OnApplyLoop(core, () => core.Metrics.Render(Families(core)));
            return !answered
                ? Results.Text("# the silo's apply loop does not answer\n", "text/plain; version=0.0.4", statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Text(text, "text/plain; version=0.0.4");
        });
    }

    private static async Task<IResult> RunCommandAsync(SiloCore core, string requested)
    {
        var name = Aliases.GetValueOrDefault(requested, requested);
        if (!Commands.Contains(name))
        {
            return Results.Json(new { command = requested, error = $"unknown command '{requested}'" }, JsonOptions, statusCode: StatusCodes.Status404NotFound);
        }

        // lsnp reads the snapshot store, off the apply thread.
        if (name == "lsnp")
        {
            return await LastSnapshotAsync(core, requested);
        }

        var (answered, answer) = await OnApplyLoop(core, () => Answer(core, requested, name));
        return answered ? answer : Results.Json(
            new { command = requested, error = $"the silo's apply loop did not answer within {ApplyLoopTimeout.TotalSeconds:0} s" },
            JsonOptions,
            statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>Apply thread: the JSON answer to one command.</summary>
    private static IResult Answer(SiloCore core, string requested, string name)
    {
        if (!core.IsServing && !AnswerWhileNotServing.Contains(name))
        {
            return Results.Json(
                new Dictionary<string, object?> { ["command"] = requested, ["error"] = FourLetterWords.NotServing.TrimEnd() },
                JsonOptions,
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var view = core.Replication;
        var response = new Dictionary<string, object?> { ["command"] = requested, ["error"] = null };
        switch (name)
        {
            case "lead":
                // As ZooKeeper: a standalone server has no leader to report.
                if (view.Mode == "standalone")
                {
                    response["error"] = "server is not initialized";
                    break;
                }

                response["is_leader"] = view.Mode == "leader" && view.IsServing;
                response["leader_id"] = view.LeaderId;
                response["leader_ip"] = view.LeaderId == view.ServerId
                    ? core.Options.Ensemble.Members.FirstOrDefault(m => m.Id == view.ServerId)?.Host ?? ""
                    : view.Peers.FirstOrDefault(p => p.ServerId == view.LeaderId)?.Host ?? "";
                break;
            case "voting_view":
                response["current_config"] = VotingView(core);
                break;
            case "zabstate":
                response["voting"] = view.Mode != "standalone" && core.Options.Ensemble.Members.Any(m => m.Id == view.ServerId && m.Role == Configuration.EnsembleRole.Voter);
                response["zabstate"] = FourLetterWords.ZabPhase(view);
                response["myid"] = view.ServerId;
                response["mode"] = view.Mode;
                response["peer_state"] = FourLetterWords.PeerState(view);
                response["leader_id"] = view.LeaderId;
                response["epoch"] = view.Epoch;
                break;
            default:
                var text = FourLetterWords.AnswerUnrestricted(core, name, requireServing: !AnswerWhileNotServing.Contains(name));
                response["output"] = text;
                AddStructured(core, view, name, text, response);
                break;
        }

        return Results.Json(response, JsonOptions);
    }

    /// <summary>Typed fields beside the 4lw text, named as ZooKeeper's AdminServer names them.</summary>
    private static void AddStructured(SiloCore core, ReplicationView view, string name, string text, Dictionary<string, object?> response)
    {
        switch (name)
        {
            case "isro":
                response["read_only"] = false;
                break;
            case "srvr" or "stat":
                var s = core.Stats;
                response["version"] = FourLetterWords.Version;
                response["read_only"] = false;
                response["server_stats"] = new Dictionary<string, object?>
                {
                    ["packets_sent"] = s.Sent,
                    ["packets_received"] = s.Received,
                    ["max_latency"] = s.MaxLatency,
                    ["min_latency"] = s.MinLatency,
                    ["avg_latency"] = s.AvgLatency,
                    ["num_alive_client_connections"] = core.Connections.Count,
                    ["outstanding_requests"] = core.Connections.Sum(c => c.Pending.Count),
                    ["server_state"] = view.Mode,
                    ["last_processed_zxid"] = core.Tree.LastZxid,
                };
                response["node_count"] = core.Tree.NodeCount;
                break;
            case "mntr":
                // ZooKeeper's monitor command: mntr's keys without the zk_ prefix; numbers as numbers.
                foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    var tab = line.IndexOf('\t', StringComparison.Ordinal);
                    if (tab > 0 && line.StartsWith("zk_", StringComparison.Ordinal))
                    {
                        var value = line[(tab + 1)..];
                        response[line[3..tab]] = long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l
                            : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
                            : value;
                    }
                }

                break;
        }
    }

    /// <summary>ZooKeeper's voting_view: voter id -> "host:quorumPort:electionPort:participant[;host:clientPort]".</summary>
    private static SortedDictionary<string, string> VotingView(SiloCore core)
    {
        var view = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in core.Options.Ensemble.Members.Where(m => m.Role == Configuration.EnsembleRole.Voter))
        {
            var clientPort = m.Id == core.Options.ServerId ? core.ClientPort : m.ClientPort;
            view[m.Id.ToString(CultureInfo.InvariantCulture)] =
                $"{m.Host}:{m.QuorumPort}:{m.ElectionPort}:participant" + (clientPort > 0 ? $";{m.Host}:{clientPort}" : "");
        }

        return view;
    }

    /// <summary>
    /// lsnp (ZooKeeper's last_snapshot): the newest snapshot in this silo's store: zxid in hex without 0x and the time
    /// it was taken in seconds since the epoch, as ZooKeeper prints them ("ffffffffffffffff" and -1 when there is none).
    /// </summary>
    private static async Task<IResult> LastSnapshotAsync(SiloCore core, string requested)
    {
        var o = core.Options;
        try
        {
            await using var store = SnapshotStoreFactory.Create(new SnapshotStoreOptions
            {
                Provider = o.SnapshotStoreProvider,
                DataDirectory = Path.GetFullPath(o.DataDir),
                ConnectionString = o.SnapshotStoreConnectionString,
                Schema = o.SnapshotStoreSchema,
            });
            using var cts = new CancellationTokenSource(ApplyLoopTimeout);
            var newest = (await store.ListAsync(cts.Token)).FirstOrDefault();
            return Results.Json(
                new Dictionary<string, object?>
                {
                    ["command"] = requested,
                    ["error"] = null,
                    ["zxid"] = (newest?.LastZxid ?? -1L).ToString("x", CultureInfo.InvariantCulture),
                    ["timestamp"] = newest?.CreatedUtc.ToUnixTimeSeconds() ?? -1L,
                    ["id"] = newest?.Id,
                    ["created"] = newest?.CreatedUtc.ToString("O", CultureInfo.InvariantCulture),
                    ["node_count"] = newest?.NodeCount,
                    ["compressed_size"] = newest?.CompressedSize,
                    ["store"] = store.Name,
                },
                JsonOptions);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Results.Json(
                new { command = requested, error = $"cannot read the snapshot store: {e.Message}" },
                JsonOptions,
                statusCode: StatusCodes.Status500InternalServerError);
        }
    }

    /// <summary>Runs <paramref name="func"/> on the apply thread; Answered is false when the loop does not answer in time (paused, wedged).</summary>
    private static async Task<(bool Answered, T Value)> OnApplyLoop<T>(SiloCore core, Func<T> func)
    {
        var task = core.InvokeAsync(func);
        try
        {
            return (true, await task.WaitAsync(ApplyLoopTimeout));
        }
        catch (TimeoutException)
        {
            return (false, default!);
        }
    }

    /// <summary>Apply thread: every point-in-time value of /metrics (names in docs/operations.md).</summary>
    private static List<MetricFamily> Families(SiloCore core)
    {
        var t = core.Tree;
        var view = core.Replication;
        var voters = core.Options.Ensemble.IsReplicated
            ? core.Options.Ensemble.Members.Count(m => m.Role == Configuration.EnsembleRole.Voter)
            : 1;
        var families = new List<MetricFamily>
        {
            MetricFamily.Gauge("coord_znode_count", "Znodes in the tree", t.NodeCount),
            MetricFamily.Gauge("coord_watch_count", "Server-side watches", t.Watches.Count),
            MetricFamily.Gauge("coord_session_count", "Live sessions", t.Sessions.Count),
            MetricFamily.Gauge("coord_ephemeral_count", "Ephemeral znodes", t.EphemeralCount),
            MetricFamily.Gauge("coord_connections", "Client connections", core.Connections.Count),
            MetricFamily.Gauge("coord_outstanding_requests", "Requests received and not yet answered", core.Connections.Sum(c => c.Pending.Count)),
            MetricFamily.Gauge("coord_last_zxid", "Zxid of the last applied txn", t.LastZxid),
            MetricFamily.Gauge("coord_epoch", "Epoch this silo stamps (standalone) or follows (ensemble; 0 while looking)", core.Epoch),
            MetricFamily.Gauge("coord_serving", "1 while the silo serves clients", core.IsServing ? 1 : 0),
            MetricFamily.Gauge("coord_quorum", "1 while the silo is part of a quorum and serves (always 1 for a serving standalone silo)", core.IsServing ? 1 : 0),
            new(
                "coord_server_state",
                "1 for the state this silo is in (standalone, leader, follower, observer, looking), 0 for the others",
                "gauge",
                [.. new[] { "standalone", "leader", "follower", "observer", "looking" }.Select(s => ($"state=\"{s}\"", view.Mode == s ? 1.0 : 0.0))]),
            MetricFamily.Gauge("coord_leader_id", "Server id of the leader this silo is with (-1 standalone or looking)", view.LeaderId),
            MetricFamily.Gauge("coord_quorum_size", "Voting members of the ensemble (1 standalone); a quorum is a majority of them", voters),
            MetricFamily.Gauge("coord_ensemble_size", "Members of the ensemble, voters and observers (1 standalone)", Math.Max(1, core.Options.Ensemble.Members.Count)),
            MetricFamily.Gauge("coord_synced_followers", "Leader only: voting followers in broadcast with it (0 on other silos)", Math.Max(0, view.SyncedVoters - 1)),
            MetricFamily.Gauge("coord_synced_observers", "Leader only: observers in broadcast with it (0 on other silos)", view.Peers.Count(p => p.Role == "observer" && p.Phase == "active")),
            MetricFamily.Gauge("coord_learners", "Leader only: followers and observers connected to it, in any sync phase", view.Peers.Count(p => p.Phase.Length > 0)),
            MetricFamily.Gauge("coord_committed_zxid", "Highest zxid this silo knows committed", view.CommittedZxid),
            MetricFamily.Gauge("coord_durable_zxid", "Every txn up to this zxid is fsynced in this silo's log", view.DurableZxid),
            MetricFamily.Gauge("coord_logged_zxid", "Last zxid in this silo's log, durable or not", view.LastLoggedZxid),
            new("coord_elections_total", "Elections this silo took part in since it started (0 standalone)", "counter", [("", view.ElectionCount)]),
            MetricFamily.Gauge("coord_last_election_seconds", "Duration of the last election plus synchronisation, until serving (0 if none)", view.LastElectionMs / 1000.0),
            new("coord_protocol_violations_total", "Replication messages that broke the protocol; anything above 0 is a bug to report", "counter", [("", view.ProtocolViolations)]),
        };
        if (view.Peers.Count > 0)
        {
            families.Add(new(
                "coord_peer_connected",
                "1 while this silo's connection to the peer is up",
                "gauge",
                [.. view.Peers.Select(p => ($"peer=\"{p.ServerId}\",role=\"{p.Role}\"", p.Connected ? 1.0 : 0.0))]));
        }

        return families;
    }

    /// <summary>Null when the request may run a mutating command; otherwise the 401/403 answer.</summary>
    private static IResult? Authorize(SiloCore core, HttpRequest request)
    {
        var token = core.Options.AdminToken;
        var digest = core.Options.SuperDigest;
        if (token is null && digest is null)
        {
            return Results.Json(new { error = "mutating admin commands are disabled: set admin.token (or superDigest) in silo.json" }, statusCode: StatusCodes.Status403Forbidden);
        }

        var header = request.Headers.Authorization.ToString();
        if (token is not null && header.StartsWith("Bearer ", StringComparison.Ordinal)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[7..].Trim()), Encoding.UTF8.GetBytes(token)))
        {
            return null;
        }

        if (digest is not null && header.StartsWith("Digest ", StringComparison.Ordinal) && AclEvaluator.DigestId(header[7..].Trim()) == digest)
        {
            return null;
        }

        return Results.Json(new { error = "authentication required: Authorization: Bearer <admin.token> or Digest super:<password>" }, statusCode: StatusCodes.Status401Unauthorized);
    }
}
