using System.Net;
using System.Net.Http.Headers;

namespace Orleans.Coordination.Cli.Operations;

/// <summary>
/// snapshot: POST /commands/snapshot on a silo's admin endpoint, authenticated with the silo's admin.token
/// (Bearer) or super digest password, and print the JSON answer.
/// </summary>
internal static class AdminSnapshotCommand
{
    public static async Task<int> RunAsync(string? server, string? token, string? digest, TextWriter output, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(server))
        {
            throw new Shell.CliException("snapshot needs --server HOST:ADMINPORT (the silo's admin endpoint); to read stored snapshots use 'coord snapshot dump --data-dir DIR'");
        }

        var baseUri = AdminUri(server);
        var uri = new Uri(baseUri, "commands/snapshot");
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        using var request = new HttpRequestMessage(HttpMethod.Post, uri);
        if (!string.IsNullOrEmpty(digest))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Digest", digest);
        }
        else if (!string.IsNullOrEmpty(token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new Shell.CliException($"cannot reach the admin endpoint {baseUri}: {e.Message}{(e.InnerException is { } inner ? $" ({inner.Message})" : "")}");
        }

        using (response)
        {
            var body = (await response.Content.ReadAsStringAsync(cancellationToken)).TrimEnd();
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                await Console.Error.WriteLineAsync(
                    $"error: {uri} answered 404 Not Found: this silo's admin endpoint has no POST /commands/snapshot "
                    + "(a silo version without on-demand snapshots, or --server names the client port instead of the admin port)");
                return 1;
            }

            if (body.Length > 0)
            {
                await output.WriteLineAsync(body);
            }

            if (!response.IsSuccessStatusCode)
            {
                var hint = response.StatusCode switch
                {
                    HttpStatusCode.Unauthorized => ": pass --token (admin.token of silo.json, or $COORD_ADMIN_TOKEN) or --digest super:PASSWORD",
                    HttpStatusCode.Forbidden => ": the silo has no admin.token or superDigest configured, so it refuses mutating admin commands",
                    _ => "",
                };
                await Console.Error.WriteLineAsync($"error: {uri} answered {(int)response.StatusCode} {response.ReasonPhrase}{hint}");
                return 1;
            }

            return 0;
        }
    }

    private static Uri AdminUri(string server)
    {
        if (server.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || server.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return new Uri(server.EndsWith('/') ? server : server + "/");
        }

        var (host, port) = FourLetterWordClient.ParseEndpoint(server, 8080);
        return new Uri($"http://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}/");
    }
}
