using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Identities;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace ClientCertHttp.FunctionalTests.Identities;

/// <summary>
/// One client, many client certificates: requests name their identity and go out with that identity's certificate
/// and chain, over a real Kestrel server that requires client certificates from two different CAs.
/// </summary>
public sealed class PerIdentityClientTests : IAsyncLifetime
{
    private const string Client = "tenants";
    private const string Password = "Identity-Pfx-4c1e";

    private readonly TestCertificateAuthority _caA = TestCertificateAuthority.Create("ClientCertHttp Tenant A");
    private readonly TestCertificateAuthority _caB = TestCertificateAuthority.Create("ClientCertHttp Tenant B", TestKeyAlgorithm.Rsa);
    private readonly TempDirectory _temp = new();
    private MtlsTestServer _server = null!;
    private X509Certificate2 _leafA = null!;
    private X509Certificate2 _leafB = null!;

    public async Task InitializeAsync()
    {
        _server = await MtlsTestServer.StartAsync(_caA, o => o.TrustedClientRoots = [_caA.Root, _caB.Root]);
        _leafA = _caA.IssueClientCertificate("CN=tenant-a");
        _leafB = _caB.IssueClientCertificate("CN=tenant-b");
        _caA.WritePfx(_temp.Combine("tenant-a.pfx"), _leafA, Password);
        Directory.CreateDirectory(_temp.Combine("tenants"));
        _caB.WriteKubernetesTlsSecret(_temp.Combine("tenants", "tenant-b"), _leafB, includeCaCrt: false);
        _caA.WriteRootPem(_temp.Combine("server-root.pem"));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _leafA.Dispose();
        _leafB.Dispose();
        _temp.Dispose();
        _caA.Dispose();
        _caB.Dispose();
    }

    [Fact]
    public async Task TwoIdentities_InterleavedConcurrentRequests_ServerSeesEachRequestsOwnLeafAndChain()
    {
        using var host = await StartAsync(o =>
        {
            o.Identities.Certificates["tenant-a"] = new ClientCertificateOptions { Path = _temp.Combine("tenant-a.pfx"), Password = Password };
            o.Identities.Directory = _temp.Combine("tenants");
        });
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client);

        var expected = new Dictionary<string, (string Leaf, string Intermediate)>
        {
            ["tenant-a"] = (_leafA.Thumbprint, _caA.Intermediate.Thumbprint),
            ["tenant-b"] = (_leafB.Thumbprint, _caB.Intermediate.Thumbprint),
        };
        var mismatches = new ConcurrentBag<string>();
        var seen = new ConcurrentDictionary<string, int>();
        using var concurrency = new SemaphoreSlim(32);
        var requests = Enumerable.Range(0, 1200).Select(async i =>
        {
            var identity = i % 2 == 0 ? "tenant-a" : "tenant-b";
            await concurrency.WaitAsync();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("whoami", UriKind.Relative));
                request.SetClientCertificateIdentity(identity);
                using var response = await client.SendAsync(request);
                var report = await MtlsTestServer.ReadReportAsync(response);
                seen.AddOrUpdate(identity, 1, (_, n) => n + 1);
                var sentChain = string.Join(",", report.SentChain.Select(c => c.Thumbprint));
                if (report.Thumbprint != expected[identity].Leaf || sentChain != expected[identity].Intermediate)
                {
                    mismatches.Add($"request {i} as {identity}: server saw leaf {report.Thumbprint}, chain [{sentChain}]");
                }
            }
            finally
            {
                concurrency.Release();
            }
        });
        await Task.WhenAll(requests);

        mismatches.Should().BeEmpty("every request must carry its own identity's leaf and intermediate, never the other tenant's");
        seen.Should().BeEquivalentTo(new Dictionary<string, int> { ["tenant-a"] = 600, ["tenant-b"] = 600 });
    }

    [Fact]
    public async Task Provider_UnknownAndFailingIdentities_AreTypedErrors_AndDoNotBreakTheOthers()
    {
        var provider = new TenantProvider(_caA);
        provider.Fail("broken");
        using var host = await StartAsync(configureBuilder: b => b.AddClientCertificateIdentityProvider(provider));
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client);

        var unknown = await FluentActions.Awaiting(() => SendAsync(client, "ghost")).Should().ThrowAsync<ClientCertificateException>();
        unknown.Which.Reason.Should().Be(ClientCertificateFailureReason.UnknownIdentity);
        unknown.Which.ClientName.Should().Be(Client);
        unknown.Which.Message.Should().Contain("'ghost'");

        var broken = await FluentActions.Awaiting(() => SendAsync(client, "broken")).Should().ThrowAsync<ClientCertificateException>();
        broken.Which.Reason.Should().Be(ClientCertificateFailureReason.CertificateProviderFailed);
        broken.Which.Message.Should().Contain("identity 'broken'").And.NotContain("vault secret");

        var report = await SendAsync(client, "tenant-1");
        report.Subject.Should().Be("CN=tenant-1");
        _server.Reports.Should().OnlyContain(r => r.Thumbprint != null, "no request went out without a certificate");
        provider.Calls("ghost").Should().Be(1, "an unknown identity is one provider call, not a retry storm");
    }

    [Fact]
    public async Task Diagnostics_ReadinessReportOfAnIdentity_LoadsItBeforeAnyRequest_AndTheFirstRequestUsesIt()
    {
        var provider = new TenantProvider(_caA);
        using var host = await StartAsync(configureBuilder: b => b.AddClientCertificateIdentityProvider(provider));
        var diagnostics = host.Services.GetRequiredService<IClientCertificateDiagnostics>();

        var readiness = await diagnostics.GetReadinessReportAsync(Client, "tenant-3");

        readiness.ClientName.Should().Be(Client);
        readiness.Certificate.Subject.Should().Be("CN=tenant-3");
        readiness.Status.Should().NotBe(ClientCertificateReadinessStatus.NotReady);
        readiness.SentChain.Select(c => c.Thumbprint).Should().Equal(readiness.Certificate.Thumbprint, _caA.Intermediate.Thumbprint);
        provider.Calls("tenant-3").Should().Be(1);
        _server.Reports.Should().BeEmpty("reading the report sends nothing");

        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client);
        var sent = await SendAsync(client, "tenant-3");
        sent.Thumbprint.Should().Be(readiness.Certificate.Thumbprint, "the request goes with the certificate the report describes");
        provider.Calls("tenant-3").Should().Be(1, "the identity was loaded once, by the report");

        var unknown = await FluentActions.Awaiting(() => diagnostics.GetReadinessReportAsync(Client, "ghost").AsTask()).Should().ThrowAsync<ClientCertificateException>();
        unknown.Which.Reason.Should().Be(ClientCertificateFailureReason.UnknownIdentity);
    }

    [Fact]
    public async Task Warmup_OpensAConnectionPerFixedIdentity_WithItsCertificate_ThatItsFirstRequestReuses()
    {
        _caB.WritePfx(_temp.Combine("tenant-b.pfx"), _leafB, Password);
        using var host = await StartAsync(o =>
        {
            o.Identities.Certificates["tenant-a"] = new ClientCertificateOptions { Path = _temp.Combine("tenant-a.pfx"), Password = Password };
            o.Identities.Certificates["tenant-b"] = new ClientCertificateOptions { Path = _temp.Combine("tenant-b.pfx"), Password = Password };
            o.Warmup.Connections = 1;
        });

        // Started: each identity of the fixed set was loaded and handshook once, with its own certificate; the client
        // has no certificate of its own, so nothing else was warmed (and nothing failed for want of an identity).
        _server.TotalConnectionCount.Should().Be(2);
        _server.Reports.Select(r => r.Subject).Should().BeEquivalentTo(["CN=tenant-a", "CN=tenant-b"]);

        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client);
        (await SendAsync(client, "tenant-a")).Thumbprint.Should().Be(_leafA.Thumbprint);
        (await SendAsync(client, "tenant-b")).Thumbprint.Should().Be(_leafB.Thumbprint);
        _server.TotalConnectionCount.Should().Be(2, "each identity's first request found its warm connection");
    }

    [Fact]
    public async Task ConcurrentFirstRequests_ForOneIdentity_LoadItOnce()
    {
        var provider = new TenantProvider(_caA) { Delay = TimeSpan.FromMilliseconds(200) };
        using var host = await StartAsync(configureBuilder: b => b.AddClientCertificateIdentityProvider(provider));
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client);

        var reports = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => SendAsync(client, "tenant-7")));

        provider.Calls("tenant-7").Should().Be(1);
        reports.Should().OnlyContain(r => r.Subject == "CN=tenant-7");
    }

    [Fact]
    public async Task MaxIdentities_EvictsTheLeastRecentlyUsed_WithoutDisturbingTheOthers()
    {
        var provider = new TenantProvider(_caA);
        using var host = await StartAsync(o => o.Identities.MaxIdentities = 2, b => b.AddClientCertificateIdentityProvider(provider));
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client);
        var pool = host.Services.GetRequiredKeyedService<ClientCertificateIdentityPool>(Client);

        var first = await SendAsync(client, "tenant-1");
        await SendAsync(client, "tenant-2");
        var again = await SendAsync(client, "tenant-1");
        await SendAsync(client, "tenant-3");

        pool.Loaded().Select(l => l.Identity).Should().BeEquivalentTo("tenant-1", "tenant-3");
        pool.Count.Should().Be(2);
        again.ConnectionId.Should().Be(first.ConnectionId, "tenant-1 keeps its connection while tenant-2 is evicted");

        var reloaded = await SendAsync(client, "tenant-2");
        reloaded.Subject.Should().Be("CN=tenant-2");
        provider.Calls("tenant-2").Should().Be(2, "an evicted identity is loaded again on its next request");
        pool.Loaded().Select(l => l.Identity).Should().BeEquivalentTo("tenant-3", "tenant-2");
        var third = await SendAsync(client, "tenant-3");
        third.Subject.Should().Be("CN=tenant-3");
        provider.Calls("tenant-3").Should().Be(1, "loading and evicting other identities does not reload this one");
    }

    [Fact]
    public async Task RejectedIdentity_IsReloadedAndRetried_AndOnlyThatIdentityIsReloaded()
    {
        using var other = TestCertificateAuthority.Create("ClientCertHttp Untrusted Tenant");
        var provider = new TenantProvider(_caA);
        provider.IssueFirstFrom("tenant-2", other);
        using var host = await StartAsync(configureBuilder: b => b.AddClientCertificateIdentityProvider(provider));
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client);

        (await SendAsync(client, "tenant-1")).Subject.Should().Be("CN=tenant-1");
        var report = await SendAsync(client, "tenant-2");

        report.Subject.Should().Be("CN=tenant-2");
        report.SentChain.Select(c => c.Thumbprint).Should().Equal(_caA.Intermediate.Thumbprint);
        provider.Calls("tenant-2").Should().Be(2, "the rejection reloaded tenant-2 and the retry used its new certificate");
        provider.Calls("tenant-1").Should().Be(1, "a rejection of tenant-2 does not reload tenant-1");
    }

    [Fact]
    public async Task DirectoryIdentity_RotatedOnDisk_IsPickedUp()
    {
        using var host = await StartAsync(o =>
        {
            o.Identities.Directory = _temp.Combine("tenants");
            o.Reload.PollInterval = TimeSpan.FromMilliseconds(100);
        });
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client);
        (await SendAsync(client, "tenant-b")).Thumbprint.Should().Be(_leafB.Thumbprint);

        using var renewed = _caB.IssueClientCertificate("CN=tenant-b renewed");
        _caB.WriteKubernetesTlsSecret(_temp.Combine("tenants", "tenant-b"), renewed, includeCaCrt: false);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        MtlsRequestReport report;
        do
        {
            await Task.Delay(100);
            report = await SendAsync(client, "tenant-b");
        }
        while (report.Thumbprint != renewed.Thumbprint && DateTime.UtcNow < deadline);

        report.Thumbprint.Should().Be(renewed.Thumbprint);
        report.SentChain.Select(c => c.Thumbprint).Should().Equal(_caB.Intermediate.Thumbprint);
    }

    [Fact]
    public async Task ClientFactory_CreateClientForAnIdentity_SendsThatIdentity_WithTheClientsBaseAddress()
    {
        using var host = await StartAsync(o => o.Identities.Certificates["tenant-a"] = new ClientCertificateOptions { Path = _temp.Combine("tenant-a.pfx"), Password = Password });
        using var client = host.Services.GetRequiredService<IClientCertHttpClientFactory>().CreateClient(Client, "tenant-a");

        using var response = await client.GetAsync(new Uri("whoami", UriKind.Relative));
        var report = await MtlsTestServer.ReadReportAsync(response);

        report.Thumbprint.Should().Be(_leafA.Thumbprint);
    }

    [Fact]
    public async Task IdentityOnlyClient_RequestWithoutIdentity_FailsTyped_AndIsNeverSentWithoutACertificate()
    {
        using var host = await StartAsync(o => o.Identities.Directory = _temp.Combine("tenants"));
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client);

        var failure = await FluentActions.Awaiting(() => client.GetAsync(new Uri("whoami", UriKind.Relative))).Should().ThrowAsync<ClientCertificateException>();

        failure.Which.Reason.Should().Be(ClientCertificateFailureReason.IdentityRequired);
        _server.Reports.Should().BeEmpty();
    }

    [Fact]
    public async Task ClientWithItsOwnCertificate_AndIdentities_SendsItsOwnWhenTheRequestNamesNone()
    {
        using var own = _caA.IssueClientCertificate("CN=platform");
        var ownPath = _caA.WritePfx(_temp.Combine("platform.pfx"), own, Password);
        using var host = await StartAsync(o =>
        {
            o.Certificate.Path = ownPath;
            o.Certificate.Password = Password;
            o.Identities.Directory = _temp.Combine("tenants");
        });
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client);

        using var response = await client.GetAsync(new Uri("whoami", UriKind.Relative));
        (await MtlsTestServer.ReadReportAsync(response)).Thumbprint.Should().Be(own.Thumbprint);
        (await SendAsync(client, "tenant-b")).Thumbprint.Should().Be(_leafB.Thumbprint);
    }

    private Task<IHost> StartAsync(Action<ClientCertHttpOptions>? configure = null, Action<IHttpClientBuilder>? configureBuilder = null) =>
        MtlsFixture.StartHostAsync(services =>
        {
            var builder = services.AddClientCertHttpClient(Client, o =>
            {
                o.BaseAddress = _server.BaseAddress;
                o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
                o.ServerTrust.RootCertificatesPath = _temp.Combine("server-root.pem");
                o.Retry.Delay = TimeSpan.FromMilliseconds(1);
                configure?.Invoke(o);
            });
            configureBuilder?.Invoke(builder);
        });

    private static async Task<MtlsRequestReport> SendAsync(HttpClient client, string identity)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("whoami", UriKind.Relative));
        request.SetClientCertificateIdentity(identity);
        using var response = await client.SendAsync(request);
        return await MtlsTestServer.ReadReportAsync(response);
    }

    /// <summary>A provider in the style of a vault: tenants named tenant-N exist, anything else is unknown.</summary>
    private sealed class TenantProvider(TestCertificateAuthority ca) : IClientCertificateIdentityProvider
    {
        private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, TestCertificateAuthority> _firstFrom = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, bool> _failing = new(StringComparer.Ordinal);

        public TimeSpan Delay { get; init; }

        public int Calls(string identity) => _calls.GetValueOrDefault(identity);

        public void Fail(string identity) => _failing[identity] = true;

        public void IssueFirstFrom(string identity, TestCertificateAuthority issuer) => _firstFrom[identity] = issuer;

        public async ValueTask<ClientCertificateBundle?> GetCertificateAsync(string identity, CancellationToken cancellationToken)
        {
            var call = _calls.AddOrUpdate(identity, 1, (_, n) => n + 1);
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, cancellationToken);
            }

            if (_failing.ContainsKey(identity))
            {
                throw new InvalidOperationException("The vault secret 's3cr3t-token' is unreachable.");
            }

            if (!identity.StartsWith("tenant-", StringComparison.Ordinal))
            {
                return null;
            }

            var issuer = call == 1 && _firstFrom.TryGetValue(identity, out var first) ? first : ca;
            var leaf = issuer.IssueClientCertificate($"CN={identity}");
            return new ClientCertificateBundle(leaf, [X509CertificateLoader.LoadCertificate(issuer.Intermediate.RawData)]);
        }
    }
}
