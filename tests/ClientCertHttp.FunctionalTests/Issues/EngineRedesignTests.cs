using System.Net;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Primitives;

namespace ClientCertHttp.FunctionalTests.Issues;

/// <summary>
/// Regression tests for the defects of the engine before its redesign (issue 13), against a real Kestrel server.
/// Each one failed on the previous engine, which reloaded from options instances and on request threads.
/// </summary>
[Collection(MtlsServerGroup.Name)]
public sealed class EngineRedesignTests(MtlsFixture fixture)
{
    private const string Client = "engine";

    [Fact]
    public async Task ConfigurationChangeDuringARejectedRequest_TheRequestsOlderOptions_NeverRollTheCertificateBack()
    {
        using var first = fixture.Ca.IssueClientCertificate("CN=config-old");
        using var second = fixture.Ca.IssueClientCertificate("CN=config-new");
        var firstPath = fixture.Ca.WritePfx(fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx"), first, MtlsFixture.Password);
        var secondPath = fixture.Ca.WritePfx(fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pfx"), second, MtlsFixture.Password);
        var json = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(json, Json(firstPath));
        var configuration = new ConfigurationBuilder().AddJsonFile(json, optional: false, reloadOnChange: true).Build();

        // The server holds the request until the configuration changed, then answers nginx's "bad certificate" 495.
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.RequestHandler = async context =>
        {
            if (context.Request.Path != "/held")
            {
                return false;
            }

            arrived.TrySetResult();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(30));
            context.Response.StatusCode = 495;
            return true;
        });

        using var host = await MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient(
            Client,
            configuration.GetSection("Clients:engine"),
            o =>
            {
                o.BaseAddress = server.BaseAddress;
                o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
                o.ServerTrust.RootCertificatesPath = fixture.RootPemPath;
                o.Reload.Enabled = false;
            }));
        var diagnostics = host.Services.GetRequiredService<IClientCertificateDiagnostics>();
        diagnostics.GetReadinessReport(Client).Certificate.Thumbprint.Should().Be(first.Thumbprint);
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client);

        var held = client.GetAsync(new Uri("held", UriKind.Relative));
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(15));
        await File.WriteAllTextAsync(json, Json(secondPath));
        (await WaitUntilAsync(() => diagnostics.GetReadinessReport(Client).Certificate.Thumbprint == second.Thumbprint))
            .Should().BeTrue("the configuration change points at the second certificate");
        release.SetResult();
        using var response = await held;

        response.StatusCode.Should().Be((HttpStatusCode)495);
        diagnostics.GetReadinessReport(Client).Certificate.Thumbprint.Should().Be(
            second.Thumbprint,
            "the options the request started with are older than the configuration in force, and must not bring the first certificate back");

        static string Json(string pfx) => $$"""
            { "Clients": { "engine": { "Certificate": { "Path": {{System.Text.Json.JsonSerializer.Serialize(pfx)}}, "Password": "{{MtlsFixture.Password}}" } } } }
            """;
    }

    [Fact]
    public async Task TwoHundredConcurrentRejectedRequests_CauseOneReload()
    {
        using var otherCa = TestCertificateAuthority.Create("ClientCertHttp Other Client Roots");
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.TrustedClientRoots = [otherCa.Root]);
        var provider = new ScriptedProvider(fixture.Ca);
        using var host = await MtlsFixture.StartHostAsync(services => services
            .AddClientCertHttpClient(Client, o =>
            {
                o.BaseAddress = server.BaseAddress;
                o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
                o.ServerTrust.RootCertificatesPath = fixture.RootPemPath;
                o.Retry.Delay = TimeSpan.FromMilliseconds(1);
            })
            .AddCertificateProvider(provider));
        provider.Calls.Should().Be(1, "the startup step loads once");
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client);

        var requests = Enumerable.Range(0, 200).Select(async _ =>
        {
            try
            {
                using var response = await client.GetAsync(new Uri("whoami", UriKind.Relative));
                return (Exception?)null;
            }
            catch (Exception ex)
            {
                return ex;
            }
        }).ToArray();
        var failures = await Task.WhenAll(requests);

        provider.Calls.Should().Be(2, "concurrent rejections share one reload instead of asking the provider once each");
        failures.Should().AllBeOfType<ClientCertHttpRequestException>()
            .Which.Should().OnlyContain(e => e.Reason == ClientCertificateFailureReason.ClientCertificateRejectedByServer);
    }

    [Fact]
    public async Task ProviderThrowsInvalidOperationExceptionOnReload_KeepsTheLastGoodCertificate_ThenRetriesUntilItRecovers()
    {
        var provider = new ScriptedProvider(fixture.Ca);
        using var host = await MtlsFixture.StartHostAsync(services =>
        {
            services.AddLogging(b => b.AddFakeLogging());
            services.AddClientCertHttpClient(Client, o =>
            {
                o.BaseAddress = fixture.Server.BaseAddress;
                o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
                o.ServerTrust.RootCertificatesPath = fixture.RootPemPath;
            }).AddCertificateProvider(provider);
        });
        var diagnostics = host.Services.GetRequiredService<IClientCertificateDiagnostics>();
        var good = diagnostics.GetReadinessReport(Client).Certificate.Thumbprint;
        var logs = host.Services.GetFakeLogCollector();

        // The provider breaks: its certificate call and its change token both throw InvalidOperationException.
        provider.Failing = true;
        provider.Invoking(p => p.SignalChange()).Should().NotThrow("a provider's failure must never be thrown into its own thread");

        (await WaitUntilAsync(() => logs.GetSnapshot().Any(r => r.Id.Name == "ClientCertificateReloadFailed")))
            .Should().BeTrue("the failed reload is logged");
        diagnostics.GetReadinessReport(Client).Certificate.Thumbprint.Should().Be(good, "the last good certificate stays in use");
        using (var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client))
        {
            using var response = await client.GetAsync(new Uri("whoami", UriKind.Relative));
            (await MtlsTestServer.ReadReportAsync(response)).Thumbprint.Should().Be(good);
        }

        // The provider recovers; nothing signals it, the failed reload is tried again with backoff.
        var renewed = provider.Recover();
        (await WaitUntilAsync(() => diagnostics.GetReadinessReport(Client).Certificate.Thumbprint == renewed))
            .Should().BeTrue("a failed reload is retried until the source answers again");
        logs.GetSnapshot().Should().Contain(r => r.Id.Name == "ClientCertificateReloadRetryScheduled");

        // The watch that broke with the change token is started again by the successful reload.
        var third = provider.Recover();
        provider.SignalChange();
        (await WaitUntilAsync(() => diagnostics.GetReadinessReport(Client).Certificate.Thumbprint == third))
            .Should().BeTrue("the provider's change token is watched again after the recovery");
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition)
    {
        // Bounded: the change notifications and the first retries arrive within seconds; give them up to 20 s.
        for (var i = 0; i < 200; i++)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return condition();
    }

    /// <summary>A real provider the test scripts: counts its calls, fails on demand, and renews its certificate.</summary>
    private sealed class ScriptedProvider(TestCertificateAuthority ca) : ICertificateProvider
    {
        private readonly Lock _lock = new();
        private CancellationTokenSource _changed = new();
        private byte[] _pfx = Issue(ca, "CN=provided-1", out _);
        private int _calls;
        private int _tokens;
        private int _renewals;
        private volatile bool _failing;

        public int Calls => Volatile.Read(ref _calls);

        public bool Failing
        {
            get => _failing;
            set => _failing = value;
        }

        public ValueTask<ClientCertificateBundle?> GetCertificateAsync(CertificateProviderContext context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            if (Failing)
            {
                throw new InvalidOperationException("The vault is unreachable.");
            }

            lock (_lock)
            {
                return ValueTask.FromResult<ClientCertificateBundle?>(new ClientCertificateBundle(X509CertificateLoader.LoadPkcs12Collection(_pfx, MtlsFixture.Password)));
            }
        }

        public IChangeToken GetChangeToken(CertificateProviderContext context)
        {
            if (Interlocked.Increment(ref _tokens) > 1 && Failing)
            {
                throw new InvalidOperationException("The vault's change feed is unreachable.");
            }

            return new CancellationChangeToken(Volatile.Read(ref _changed).Token);
        }

        public void SignalChange()
        {
            var previous = Interlocked.Exchange(ref _changed, new CancellationTokenSource());
            try
            {
                previous.Cancel();
            }
            finally
            {
                previous.Dispose();
            }
        }

        public string Recover()
        {
            lock (_lock)
            {
                _pfx = Issue(ca, $"CN=provided-{Interlocked.Increment(ref _renewals) + 1}", out var thumbprint);
                Failing = false;
                return thumbprint;
            }
        }

        private static byte[] Issue(TestCertificateAuthority ca, string subject, out string thumbprint)
        {
            using var leaf = ca.IssueClientCertificate(subject);
            thumbprint = leaf.Thumbprint;
            return ca.ExportPfx(leaf, MtlsFixture.Password);
        }
    }
}
