using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;
using Microsoft.AspNetCore.Http;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClientCertHttp.FunctionalTests.Certificates;

/// <summary>
/// Certificate rotation without restart against a real server: the server must see the new certificate (with its
/// chain) on new connections, whatever the handler lifetime, while requests in flight finish on their connections.
/// </summary>
public sealed class RotationTests : IAsyncLifetime
{
    private const string Password = "Rotation-Pfx-77c2";
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("ClientCertHttp Rotation");
    private readonly TempDirectory _temp = new();
    private MtlsTestServer _server = null!;
    private string _pfxPath = null!;
    private string _rootPath = null!;

    public async Task InitializeAsync()
    {
        _server = await MtlsTestServer.StartAsync(_ca, o => o.RequestHandler = async context =>
        {
            if (context.Request.Path == "/slow")
            {
                await Task.Delay(TimeSpan.FromSeconds(2), context.RequestAborted);
            }

            return false;
        });
        _pfxPath = _temp.Combine("client.pfx");
        _rootPath = _ca.WriteRootPem(_temp.Combine("root.pem"));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _temp.Dispose();
        _ca.Dispose();
    }

    [Fact]
    public async Task PfxReplacedOnDisk_NewConnectionsPresentTheNewCertificate_AndInFlightRequestsComplete()
    {
        var first = IssueAndWrite("CN=rotation-1");
        using var host = await StartHostAsync(o => o.Reload.PollInterval = TimeSpan.FromMilliseconds(200), handlerLifetime: Timeout.InfiniteTimeSpan);
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("rotating");
        (await WhoAmIAsync(client)).Thumbprint.Should().Be(first);

        // A request in flight across the swap must complete on its old connection.
        var slow = client.GetAsync(new Uri("slow", UriKind.Relative));
        await Task.Delay(200);
        var second = IssueAndWrite("CN=rotation-2", replace: true);

        var seen = await WaitForThumbprintAsync(client, second);

        seen.Should().NotBeNull("the replaced file must be picked up within the bound");
        seen!.SessionResumed.Should().BeFalse("a session of the old certificate must never be resumed with the new one");
        seen.SentChain.Select(c => c.Thumbprint).Should().Equal(_ca.Intermediate.Thumbprint);
        using (var slowResponse = await slow)
        {
            (await MtlsTestServer.ReadReportAsync(slowResponse)).Thumbprint.Should().Be(first);
        }

        for (var i = 0; i < 5; i++)
        {
            (await WhoAmIAsync(client)).Thumbprint.Should().Be(second, "every later request uses the new certificate");
        }

        await host.StopAsync();
    }

    [Fact]
    public async Task PemPairReplacedOnDisk_NewConnectionsPresentTheNewCertificate()
    {
        var certificatePath = _temp.Combine("client.crt");
        var keyPath = _temp.Combine("client.key");
        var first = WritePem("CN=pem-1", certificatePath, keyPath);
        using var host = await StartHostAsync(
            o =>
            {
                o.Certificate.Path = certificatePath;
                o.Certificate.KeyPath = keyPath;
                o.Reload.PollInterval = TimeSpan.FromMilliseconds(200);
            },
            handlerLifetime: Timeout.InfiniteTimeSpan);
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("rotating");
        (await WhoAmIAsync(client)).Thumbprint.Should().Be(first);

        var second = WritePem("CN=pem-2", certificatePath, keyPath);
        var seen = await WaitForThumbprintAsync(client, second);

        seen.Should().NotBeNull("the replaced PEM pair must be picked up within the bound");
        seen!.SentChain.Select(c => c.Thumbprint).Should().Equal(_ca.Intermediate.Thumbprint);
        await host.StopAsync();
    }

    [Fact]
    public async Task KubernetesSecretSwapped_NewConnectionsPresentTheNewCertificate()
    {
        var mount = _temp.Combine("secret-mount");
        using var firstLeaf = _ca.IssueClientCertificate("CN=k8s-1");
        KubernetesTlsSecret.Write(mount, TestCertificateAuthority.ExportCertificatePem(firstLeaf, _ca.Intermediate), TestCertificateAuthority.ExportPrivateKeyPem(firstLeaf));
        using var host = await StartHostAsync(
            o =>
            {
                o.Certificate.Path = null;
                o.Certificate.Password = null;
                o.Certificate.Directory = mount;
                o.Reload.PollInterval = TimeSpan.FromMilliseconds(200);
            },
            handlerLifetime: Timeout.InfiniteTimeSpan);
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("rotating");
        (await WhoAmIAsync(client)).Thumbprint.Should().Be(firstLeaf.Thumbprint);

        using var secondLeaf = _ca.IssueClientCertificate("CN=k8s-2");
        KubernetesTlsSecret.Update(mount, TestCertificateAuthority.ExportCertificatePem(secondLeaf, _ca.Intermediate), TestCertificateAuthority.ExportPrivateKeyPem(secondLeaf));
        var seen = await WaitForThumbprintAsync(client, secondLeaf.Thumbprint);

        seen.Should().NotBeNull("the kubelet-style ..data swap must be picked up within the bound");
        seen!.SentChain.Select(c => c.Thumbprint).Should().Equal(_ca.Intermediate.Thumbprint);
        await host.StopAsync();
    }

    [Fact]
    public async Task ManualReload_TypedClientWithInfiniteHandlerLifetime_UsesTheNewCertificateAtOnce()
    {
        var first = IssueAndWrite("CN=manual-1");
        using var host = await StartHostAsync(o => o.Reload.Enabled = false, handlerLifetime: Timeout.InfiniteTimeSpan, typed: true);
        var whoAmI = host.Services.GetRequiredService<WhoAmIClient>();
        (await whoAmI.GetAsync()).Thumbprint.Should().Be(first);
        var second = IssueAndWrite("CN=manual-2", replace: true);

        var result = await host.Services.GetRequiredService<IClientCertificateReloader>().ReloadAsync(nameof(WhoAmIClient));

        result.Succeeded.Should().BeTrue();
        result.Changed.Should().BeTrue();
        result.PreviousThumbprint.Should().Be(first);
        result.CurrentThumbprint.Should().Be(second);
        var report = await host.Services.GetRequiredService<WhoAmIClient>().GetAsync();
        report.Thumbprint.Should().Be(second);
        report.SentChain.Select(c => c.Thumbprint).Should().Equal(_ca.Intermediate.Thumbprint);
        await host.StopAsync();
    }

    [Fact]
    public async Task ManualReload_SameFile_ReportsUnchangedAndKeepsConnections()
    {
        var first = IssueAndWrite("CN=same");
        using var host = await StartHostAsync(o => o.Reload.Enabled = false, handlerLifetime: Timeout.InfiniteTimeSpan);
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("rotating");
        var before = await WhoAmIAsync(client);

        var result = await host.Services.GetRequiredService<IClientCertificateReloader>().ReloadAsync("rotating");

        result.Succeeded.Should().BeTrue();
        result.Changed.Should().BeFalse();
        result.CurrentThumbprint.Should().Be(first);
        (await WhoAmIAsync(client)).ConnectionId.Should().Be(before.ConnectionId, "an unchanged certificate does not replace the handler");
        await host.StopAsync();
    }

    [Fact]
    public async Task ConcurrentRequests_AcrossTwentyRotations_NeverFailAndDoNotLeakConnections()
    {
        var issued = new ConcurrentDictionary<string, bool>();
        issued[IssueAndWrite("CN=load-0")] = true;
        using var host = await StartHostAsync(
            o =>
            {
                o.Reload.Enabled = false;
                o.Reload.DrainTimeout = TimeSpan.FromMilliseconds(300);
            },
            handlerLifetime: Timeout.InfiniteTimeSpan);
        var factory = host.Services.GetRequiredService<IHttpClientFactory>();
        var reloader = host.Services.GetRequiredService<IClientCertificateReloader>();
        var failures = new ConcurrentQueue<Exception>();
        var seen = new ConcurrentDictionary<string, bool>();
        using var stop = new CancellationTokenSource();

        // Four workers, each bounded to 2,000 requests and stopped as soon as the rotations are done.
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            using var client = factory.CreateClient("rotating");
            for (var i = 0; i < 2_000 && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    seen[(await WhoAmIAsync(client)).Thumbprint!] = true;
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
                {
                    failures.Enqueue(ex);
                }
            }
        })).ToArray();

        for (var rotation = 1; rotation <= 20; rotation++)
        {
            issued[IssueAndWrite($"CN=load-{rotation}", replace: true)] = true;
            (await reloader.ReloadAsync("rotating")).Changed.Should().BeTrue();
            await Task.Delay(50);
        }

        stop.Cancel();
        await Task.WhenAll(workers);

        failures.Should().BeEmpty();
        seen.Keys.Should().OnlyContain(t => issued.ContainsKey(t));
        seen.Keys.Should().HaveCountGreaterThan(5, "requests ran throughout the rotations");

        // Replaced handlers are disposed after the drain timeout, closing their connections.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (_server.OpenConnectionCount > 8)
        {
            await Task.Delay(100, timeout.Token);
        }

        _server.OpenConnectionCount.Should().BeLessThanOrEqualTo(8);
        await host.StopAsync();
    }

    [Fact]
    public async Task ServerRejectsTheCertificate_AfterARotationOnDisk_ReloadsAndRetriesExactlyOnce()
    {
        // The server only accepts client certificates from another CA; the file already holds the renewed one from
        // that CA, but the client (polling off) still uses the old one: the rejection triggers one reload and retry.
        using var renewedCa = TestCertificateAuthority.Create("ClientCertHttp Renewed Client CA");
        await using var server = await MtlsTestServer.StartAsync(_ca, o => o.TrustedClientRoots = [renewedCa.Root]);
        IssueAndWrite("CN=rejected");
        using var host = await StartHostAsync(
            o =>
            {
                o.BaseAddress = server.BaseAddress;
                o.Reload.Enabled = false;
                o.Retry.Delay = TimeSpan.FromMilliseconds(1);
            },
            handlerLifetime: Timeout.InfiniteTimeSpan);
        using var renewed = renewedCa.IssueClientCertificate("CN=renewed");
        var staging = _temp.Combine(Guid.NewGuid().ToString("N") + ".tmp");
        renewedCa.WritePfx(staging, renewed, Password);
        File.Move(staging, _pfxPath, overwrite: true);
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("rotating");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("whoami", UriKind.Relative))
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await client.SendAsync(request);

        var report = await MtlsTestServer.ReadReportAsync(response);
        report.Thumbprint.Should().Be(renewed.Thumbprint);
        report.SentChain.Select(c => c.Thumbprint).Should().Equal(renewedCa.Intermediate.Thumbprint);
        server.FailedHandshakeCount.Should().Be(1, "exactly one attempt was rejected: " + string.Join(" | ", server.HandshakeFailures));
        server.Reports.Should().ContainSingle("exactly one more attempt reached the server");
    }

    [Fact]
    public async Task PostRefusedWithStatus495_AfterARotationOnDisk_IsNotSentAgain()
    {
        // Issue 14, item 9: an HTTP status comes after the request was sent, so the server may have processed the
        // POST; the previous pipeline reloaded and replayed it whatever the method.
        var posts = 0;
        await using var server = await MtlsTestServer.StartAsync(_ca, o => o.RequestHandler = context =>
        {
            if (!HttpMethods.IsPost(context.Request.Method))
            {
                return Task.FromResult(false);
            }

            Interlocked.Increment(ref posts);
            context.Response.StatusCode = 495;
            return Task.FromResult(true);
        });
        using var host = await StartHostWithRenewedFileAsync(server);
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("rotating");
        using var content = new StringContent("{\"amount\":1}");

        using var response = await client.PostAsync(new Uri("pay", UriKind.Relative), content);

        response.StatusCode.Should().Be((System.Net.HttpStatusCode)495);
        posts.Should().Be(1, "a POST refused after it was sent is never sent again");
    }

    [Fact]
    public async Task PostRefusedDuringTheTlsHandshake_AfterARotationOnDisk_IsSentOnceMoreWithTheNewCertificate()
    {
        // Refused inside a TLS 1.2 handshake: the request never left the client, so it is replayed whatever the method.
        await using var server = await MtlsTestServer.StartAsync(_ca, o =>
        {
            o.RejectWithTlsAlert = TlsAlert.UnknownCA;
            o.SslProtocols = Enum.Parse<System.Security.Authentication.SslProtocols>("Tls12");
        });
        using var host = await StartHostWithRenewedFileAsync(server);
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("rotating");
        using var content = new StringContent("{\"amount\":1}");

        var act = () => client.PostAsync(new Uri("pay", UriKind.Relative), content);

        var ex = (await act.Should().ThrowAsync<ClientCertHttpRequestException>()).Which;
        ex.Attempts.Should().Be(2, "the reload changed the certificate and the refused request had not been sent");
        // The two attempts, one per certificate (the diagnosis's probe adds a handshake without any certificate).
        server.HandshakeFailures.Where(f => f.Contains("rotation'", StringComparison.Ordinal)).Should().Equal(
            "client certificate 'CN=before-rotation' refused with TLS alert UnknownCA (RejectWithTlsAlert)",
            "client certificate 'CN=after-rotation' refused with TLS alert UnknownCA (RejectWithTlsAlert)");
    }

    /// <summary>
    /// A client that loaded 'CN=before-rotation' and does not poll, while the file already holds 'CN=after-rotation':
    /// only a rejection-triggered reload can pick the renewed certificate up.
    /// </summary>
    private async Task<IHost> StartHostWithRenewedFileAsync(MtlsTestServer server)
    {
        IssueAndWrite("CN=before-rotation");
        var host = await StartHostAsync(
            o =>
            {
                o.BaseAddress = server.BaseAddress;
                o.Reload.Enabled = false;
                o.Retry.Delay = TimeSpan.FromMilliseconds(1);
            },
            handlerLifetime: Timeout.InfiniteTimeSpan);
        IssueAndWrite("CN=after-rotation", replace: true);
        return host;
    }

    private static Task<MtlsRequestReport?> WaitForThumbprintAsync(HttpClient client, string thumbprint) =>
        RenewedPfxFile.WaitForThumbprintAsync(() => WhoAmIAsync(client), thumbprint);

    private string WritePem(string subject, string certificatePath, string keyPath)
    {
        using var leaf = _ca.IssueClientCertificate(subject);
        var stagingCertificate = _temp.Combine(Guid.NewGuid().ToString("N") + ".tmp");
        var stagingKey = _temp.Combine(Guid.NewGuid().ToString("N") + ".tmp");
        TestCertificateAuthority.WriteCertificatePem(stagingCertificate, leaf, _ca.Intermediate);
        TestCertificateAuthority.WritePrivateKeyPem(stagingKey, leaf, Password);
        File.Move(stagingKey, keyPath, overwrite: true);
        File.Move(stagingCertificate, certificatePath, overwrite: true);
        return leaf.Thumbprint;
    }

    private string IssueAndWrite(string subject, bool replace = false) =>
        new RenewedPfxFile(_ca, _pfxPath, Password).IssueAndWrite(subject, replace);

    private async Task<IHost> StartHostAsync(Action<ClientCertHttpOptions> configure, TimeSpan handlerLifetime, bool typed = false)
    {
        void Configure(ClientCertHttpOptions o)
        {
            // The host name (not the IP literal) lets TLS resume sessions: a resumed session must never carry the old certificate.
            o.BaseAddress = _server.LocalhostAddress;
            o.Certificate.Path = _pfxPath;
            o.Certificate.Password = Password;
            o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
            o.ServerTrust.RootCertificatesPath = _rootPath;
            configure(o);
        }

        return await MtlsFixture.StartHostAsync(services =>
        {
            var builder = typed
                ? services.AddClientCertHttpClient<WhoAmIClient>(Configure)
                : services.AddClientCertHttpClient("rotating", Configure);
            builder.SetHandlerLifetime(handlerLifetime);
        });
    }

    private static async Task<MtlsRequestReport> WhoAmIAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("whoami", UriKind.Relative));
        return await MtlsTestServer.ReadReportAsync(response);
    }

    public sealed class WhoAmIClient(HttpClient client)
    {
        public Task<MtlsRequestReport> GetAsync() => WhoAmIAsync(client);
    }
}
