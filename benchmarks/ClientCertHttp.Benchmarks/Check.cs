namespace ClientCertHttp.Benchmarks;

/// <summary>Checks, once per run in [GlobalSetup], that a suite measures what it says it measures.</summary>
internal static class Check
{
    public static void Tls(HttpClient client, Uri uri, string expected)
    {
        var protocol = Requests.ReportAsync(client, uri, closeConnection: true).GetAwaiter().GetResult().TlsProtocol;
        if (!protocol.EndsWith(expected.Replace(".", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Expected TLS {expected}, the server saw {protocol}.");
        }
    }

    public static void Resumed(HttpClient client, Uri uri, bool expected)
    {
        Requests.SendAsync(client, uri, closeConnection: true).GetAwaiter().GetResult();
        var resumed = Requests.ReportAsync(client, uri, closeConnection: true).GetAwaiter().GetResult().SessionResumed;
        if (resumed != expected)
        {
            throw new InvalidOperationException($"Expected SessionResumed={expected}, the server saw {resumed}.");
        }
    }

    public static void Http(HttpClient client, Uri uri, Version version)
    {
        var protocol = Requests.ReportAsync(client, uri, closeConnection: false, version).GetAwaiter().GetResult().HttpProtocol;
        if (protocol != (version.Major == 2 ? "HTTP/2" : "HTTP/1.1"))
        {
            throw new InvalidOperationException($"Expected HTTP {version}, the server saw {protocol}.");
        }
    }
}
