using System.Net;
using System.Net.Sockets;
using ClientCertHttp.Certificates;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace ClientCertHttp.FunctionalTests.Warmup;

/// <summary>
/// Warm-up against a real server: the server's own connection and handshake counters prove that connections were
/// opened before the first request, reused by it, and opened again after a certificate rotation.
/// </summary>
public sealed class ConnectionWarmupTests : IAsyncLifetime
{
    private const string Password = "Warmup-Pfx-4e1a";
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("ClientCertHttp Warmup");
    private readonly TempDirectory _temp = new();
    private MtlsTestServer _server = null!;
    private string _pfxPath = null!;
    private string _rootPath = null!;

    public async Task InitializeAsync()
    {
        _server = await MtlsTestServer.StartAsync(_ca);
        _pfxPath = _temp.Combine("client.pfx");
        _rootPath = _ca.WriteRootPem(_temp.Combine("root.pem"));
        WritePfx("CN=warmup-1");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _temp.Dispose();
        _ca.Dispose();
    }

    [Fact]
    public async Task StartAsync_WarmupConnections3_OpensThreeHandshakenConnectionsThatTheFirstRequestsReuse()
    {
        using var host = BuildHost(_server.BaseAddress, connections: 3);

        await host.StartAsync();

        _server.TotalConnectionCount.Should().Be(3, "three warm-up requests were in flight together");

        // SocketsHttpHandler may serve the last warm-up request on a connection that is already open while the third
        // connection's handshake completes in the background: wait (bounded) for it, then check exactly.
        (await WaitUntilAsync(() => _server.HandshakeCount >= 3)).Should().BeTrue("three connections are warmed up");
        _server.HandshakeCount.Should().Be(3);
        _server.Reports.Should().HaveCount(3).And.OnlyContain(r => r.Subject == "CN=warmup-1");
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("warm");
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync(new Uri("whoami", UriKind.Relative));
            response.EnsureSuccessStatusCode();
        }

        _server.TotalConnectionCount.Should().Be(3, "the first requests found warm connections");
        host.Services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Name == "WarmupCompleted")
            .Which.Message.Should().Contain("3 connection(s)");
        await host.StopAsync();
    }

    [Fact]
    public async Task StartAsync_WithoutWarmup_OpensNoConnection()
    {
        using var host = BuildHost(_server.BaseAddress, connections: 0);

        await host.StartAsync();

        _server.TotalConnectionCount.Should().Be(0);
        await host.StopAsync();
    }

    [Fact]
    public async Task ReloadAsync_CertificateChanged_WarmsUpAgainWithTheNewCertificate()
    {
        using var host = BuildHost(_server.BaseAddress, connections: 2);
        await host.StartAsync();

        // SocketsHttpHandler may serve the second warm-up request on the first connection while the second
        // connection's handshake is still completing in the background: wait (bounded) for it, then check exactly.
        (await WaitUntilAsync(() => _server.HandshakeCount >= 2)).Should().BeTrue("two connections are warmed up");
        _server.HandshakeCount.Should().Be(2);

        WritePfx("CN=warmup-2");
        var result = await host.Services.GetRequiredService<IClientCertificateReloader>().ReloadAsync("warm");

        result.Changed.Should().BeTrue();
        (await WaitUntilAsync(() => _server.HandshakeCount >= 4)).Should().BeTrue("a rotation warms up the new certificate's connections");
        _server.Reports.Where(r => r.Subject == "CN=warmup-2").Should().HaveCount(2);
        _server.FailedHandshakeCount.Should().Be(0);
        await host.StopAsync();
    }

    [Fact]
    public async Task StartAsync_ServerUnreachable_StartsAndLogsTheFailure()
    {
        using var host = BuildHost(new Uri($"https://127.0.0.1:{ClosedPort()}/"), connections: 2);

        await host.StartAsync();

        var failure = host.Services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Name == "WarmupFailed").Subject;
        failure.Level.Should().Be(LogLevel.Warning);
        failure.Message.Should().Contain("HTTP client 'warm': 2 of 2 warm-up connection(s)");
        failure.Exception.Should().BeAssignableTo<HttpRequestException>();
        await host.StopAsync();
    }

    [Fact]
    public async Task StartAsync_ServerNeverAnswers_StartsAfterTheTimeoutAndLogsIt()
    {
        await using var silent = await MtlsTestServer.StartAsync(_ca, o => o.RequestHandler = async context =>
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
            return true;
        });
        using var host = BuildHost(silent.BaseAddress, connections: 1, timeout: TimeSpan.FromMilliseconds(500));

        await host.StartAsync();

        host.Services.GetFakeLogCollector().GetSnapshot().Should().ContainSingle(r => r.Id.Name == "WarmupTimedOut")
            .Which.Message.Should().Contain("only 0 of 1 warm-up connection(s)");
        await host.StopAsync();
    }

    private IHost BuildHost(Uri baseAddress, int connections, TimeSpan? timeout = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddLogging(b => b.AddFakeLogging());
        builder.Services.AddClientCertHttpClient("warm", o =>
        {
            o.BaseAddress = baseAddress;
            o.Certificate.Path = _pfxPath;
            o.Certificate.Password = Password;
            o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
            o.ServerTrust.RootCertificatesPath = _rootPath;
            o.Reload.Enabled = false;
            o.Retry.Enabled = false;
            o.Warmup.Connections = connections;
            o.Warmup.Timeout = timeout ?? TimeSpan.FromSeconds(30);
        });
        return builder.Build();
    }

    private void WritePfx(string subject)
    {
        using var leaf = _ca.IssueClientCertificate(subject);
        _ca.WritePfx(_pfxPath, leaf, Password);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition)
    {
        // A bound on waiting, not a timing assertion: the condition is what is tested.
        for (var i = 0; i < 300 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        return condition();
    }
}
