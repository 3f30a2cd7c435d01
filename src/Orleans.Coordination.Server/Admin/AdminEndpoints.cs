using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Coordination.Server.Diagnostics;
using Orleans.Coordination.Server.Processing;

namespace Orleans.Coordination.Server.Admin;

/// <summary>
/// The admin HTTP endpoint: /commands/&lt;word&gt; for every four-letter word (as JSON), and
/// /health/live and /health/ready for orchestrators.
/// </summary>
public static class AdminEndpoints
{
    public static void Map(IEndpointRouteBuilder app, SiloCore core)
    {
        app.MapGet("/health/live", () => Results.Text("live\n"));
        app.MapGet("/health/ready", () => core.IsServing ? Results.Text("ready\n") : Results.Text("not serving\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/commands", () => Results.Json(new { commands = Protocol.Framing.FourLetterWord.All.Where(w => w != "bkup") }));
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
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
}
