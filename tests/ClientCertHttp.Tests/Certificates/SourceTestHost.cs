using ClientCertHttp.Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace ClientCertHttp.Tests.Certificates;

/// <summary>What a client loaded at startup: the leaf and the intermediates its handshake sends.</summary>
internal sealed record LoadedReport(string Thumbprint, string Subject, IReadOnlyList<string> Intermediates, string Source, IReadOnlyList<string> Logs);

internal static class SourceTestHost
{
    public const string Client = "payments";

    /// <summary>Starts a real host with one client and reports what it loaded.</summary>
    public static async Task<LoadedReport> LoadAsync(Action<ClientCertHttpOptions> configure, Action<IHttpClientBuilder>? builder = null)
    {
        using var host = ClientCertFixture.BuildHost(services =>
        {
            services.AddLogging(b => b.AddFakeLogging().SetMinimumLevel(LogLevel.Trace));
            var b = services.AddClientCertHttpClient(Client, configure);
            builder?.Invoke(b);
        });
        await host.StartAsync();
        var loaded = host.Services.GetRequiredKeyedService<ClientCertificateSource>(Client).Current.Certificate!;
        var report = new LoadedReport(
            loaded.Certificate.Thumbprint,
            loaded.Certificate.Subject,
            [.. loaded.Context.IntermediateCertificates.Select(c => c.Subject)],
            loaded.Source,
            [.. host.Services.GetFakeLogCollector().GetSnapshot().Select(r => r.Message)]);
        await host.StopAsync();
        return report;
    }

    public static Task<ClientCertificateException> FailAsync(Action<ClientCertHttpOptions> configure, Action<IHttpClientBuilder>? builder = null) =>
        ClientCertFixture.StartupCertificateFailureAsync(services =>
        {
            var b = services.AddClientCertHttpClient(Client, configure);
            builder?.Invoke(b);
        });

    /// <summary>The rules every startup error follows: names the client and the source, never the secret.</summary>
    public static void AssertNamesClientAndSource(ClientCertificateException ex, string source, params string[] secrets)
    {
        ex.ClientName.Should().Be(Client);
        ex.Message.Should().Contain($"'{Client}'").And.Contain(source);
        foreach (var secret in secrets)
        {
            ex.ToString().Should().NotContain(secret);
        }
    }
}
