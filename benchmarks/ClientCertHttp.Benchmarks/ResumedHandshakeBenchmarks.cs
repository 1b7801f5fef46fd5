using BenchmarkDotNet.Attributes;

namespace ClientCertHttp.Benchmarks;

/// <summary>
/// A new connection per request with TLS session resumption allowed: the URL host is <c>localhost</c>, so the client
/// sends SNI and reuses its session ticket, and the server accepts the resumed session.
/// </summary>
[MemoryDiagnoser]
public class ResumedHandshakeBenchmarks : ConnectionPerRequestBenchmarks
{
    [GlobalSetup]
    public void Setup()
    {
        Run = Clients.Create();
        Target = new Uri(Run.Server.LocalhostAddress, "whoami");
        HandWrittenClient = Run.HandWritten();
        FactoryClient = Run.Factory();
        ClientCertHttpNoRetryClient = Run.ClientCertHttp(retry: false);
        ClientCertHttpClient = Run.ClientCertHttp(retry: true);
        foreach (var client in ComparedClients)
        {
            Check.Resumed(client, Target, expected: true);
        }
    }
}
