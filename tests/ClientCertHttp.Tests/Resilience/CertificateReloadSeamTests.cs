using ClientCertHttp.Resilience;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ClientCertHttp.Tests.Resilience;

/// <summary>
/// The contract between the retry pipeline and <see cref="ICertificateRejectionReloader"/>, against a real server that
/// rejects the client certificate. These tests do not rotate anything: the end-to-end test "a rotation produced a new,
/// accepted certificate, so exactly two attempts" belongs to certificate rotation (issue #4).
/// </summary>
public sealed class CertificateReloadSeamTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    [Fact]
    public async Task DefaultReloader_ReportsTheCertificateUnchanged()
    {
        var reloader = new CountingReloader(changed: false);

        (await reloader.ReloadAsync("payments", new RetryState(), CancellationToken.None)).Should().BeFalse();
    }

    [Fact]
    public async Task RejectedCertificate_ReloaderClaimsANewCertificate_AsksOnceAndAttemptsExactlyOnceMore()
    {
        // A stub that claims a different certificate is in use although nothing changed: it proves the bound (one
        // reload, one extra attempt, no storm) and the message when the second attempt is rejected too.
        var reloader = new CountingReloader(changed: true);
        var (ex, server) = await SendToRejectingServerAsync(reloader);
        await using (server)
        {
            reloader.Calls.Should().Be(1);
            ex.Attempts.Should().Be(2);
            ex.Message.Should().Contain("retried once with the new certificate, which the server rejected too");
            server.Reports.Should().BeEmpty();
        }
    }

    [Fact]
    public async Task RejectedCertificate_ReloadDisabled_NeverAsksTheReloader()
    {
        var reloader = new CountingReloader(changed: true);
        var (ex, server) = await SendToRejectingServerAsync(reloader, o => o.Retry.ReloadAndRetryOnCertificateRejection = false);
        await using (server)
        {
            reloader.Calls.Should().Be(0);
            ex.Attempts.Should().Be(1);
            ex.Message.Should().Contain("not attempted");
        }
    }

    private async Task<(ClientCertHttpRequestException Exception, MtlsTestServer Server)> SendToRejectingServerAsync(
        ICertificateRejectionReloader reloader,
        Action<ClientCertHttpOptions>? configure = null)
    {
        using var otherCa = TestCertificateAuthority.Create("Untrusted Client Roots");
        var server = await MtlsTestServer.StartAsync(fixture.Ca, o =>
        {
            o.TrustedClientRoots = [ClientCertFixture.PublicOnly(otherCa.Root)];
            o.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2;
        });
        try
        {
            var roots = fixture.Ca.WriteRootPem(fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pem"));
            using var host = ClientCertFixture.BuildHost(services =>
            {
                services.TryAddSingleton(reloader);
                services.AddClientCertHttpClient("payments", o =>
                {
                    o.BaseAddress = server.BaseAddress;
                    o.Certificate.Path = fixture.WriteClientPfx();
                    o.Certificate.Password = ClientCertFixture.Password;
                    o.ServerTrust.Mode = ServerTrustMode.CustomRoots;
                    o.ServerTrust.RootCertificatesPath = roots;
                    configure?.Invoke(o);
                });
            });
            await host.StartAsync();
            using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");
            using var request = new HttpRequestMessage(HttpMethod.Get, "whoami") { Version = new Version(2, 0), VersionPolicy = HttpVersionPolicy.RequestVersionExact };

            var act = () => client.SendAsync(request);

            var ex = (await act.Should().ThrowAsync<ClientCertHttpRequestException>()).Which;
            await host.StopAsync();
            return (ex, server);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private sealed class CountingReloader(bool changed) : ICertificateRejectionReloader
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<bool> ReloadAsync(string clientName, RetryState request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return ValueTask.FromResult(changed);
        }
    }
}
