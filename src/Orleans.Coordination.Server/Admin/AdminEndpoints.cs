using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Coordination.DataTree.Acls;
using Orleans.Coordination.Server.Diagnostics;
using Orleans.Coordination.Server.Processing;

namespace Orleans.Coordination.Server.Admin;

/// <summary>
/// The admin HTTP endpoint: GET /commands/&lt;word&gt; for every four-letter word (as JSON), POST
/// /commands/snapshot (authenticated), GET /metrics (Prometheus text format), and /health/live and
/// /health/ready for orchestrators.
/// </summary>
public static class AdminEndpoints
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public static void Map(IEndpointRouteBuilder app, SiloCore core)
    {
        app.MapGet("/health/live", () => Results.Text("live\n"));
        app.MapGet("/health/ready", () => core.IsServing
            ? Results.Text("ready\n")
            : Results.Text($"not serving{(core.FailureReason is { } r ? ": " + r : "")}\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/commands", () => Results.Json(new { commands = Protocol.Framing.FourLetterWord.All.Where(w => w != "bkup").Append("snapshot") }));
        app.MapGet("/commands/{name}", async (string name) =>
        {
            if (!Protocol.Framing.FourLetterWord.All.Contains(name) || name == "bkup")
            {
                return Results.Json(new { command = name, error = $"unknown command '{name}'" }, statusCode: StatusCodes.Status404NotFound);
            }

            // The admin endpoint is not limited by the client-port whitelist: it is bound to loopback by default.
            var text = await core.InvokeAsync(() => FourLetterWords.AnswerUnrestricted(core, name));
            return Results.Json(new { command = name, error = (string?)null, output = text }, JsonOptions);
        });
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
            var text = await core.InvokeAsync(() => core.Metrics.Render(Gauges(core)));
            return Results.Text(text, "text/plain; version=0.0.4");
        });
    }

    private static List<(string, string, double)> Gauges(SiloCore core)
    {
        var t = core.Tree;
        return
        [
            ("coord_znode_count", "Znodes in the tree", t.NodeCount),
            ("coord_watch_count", "Server-side watches", t.Watches.Count),
            ("coord_session_count", "Live sessions", t.Sessions.Count),
            ("coord_ephemeral_count", "Ephemeral znodes", t.EphemeralCount),
            ("coord_connections", "Client connections", core.Connections.Count),
            ("coord_outstanding_requests", "Requests received and not yet answered", core.Connections.Sum(c => c.Pending.Count)),
            ("coord_last_zxid", "Zxid of the last applied txn", t.LastZxid),
            ("coord_epoch", "Epoch this silo stamps zxids with", core.Epoch),
            ("coord_serving", "1 while the silo serves clients", core.IsServing ? 1 : 0),
            ("coord_quorum", "1 while the silo is part of a quorum (always 1 standalone)", core.IsServing ? 1 : 0),
        ];
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
