using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Testing;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace ClientCertHttp.FunctionalTests.Trust;

/// <summary>
/// The server-trust matrix: for each case a real Kestrel server presents the certificate under test, and the test
/// asserts whether the library's client accepts it and, when it does not, which check it reports.
/// </summary>
[Collection(MtlsServerGroup.Name)]
public sealed class ServerTrustTests(MtlsFixture fixture)
{
    private const int RejectedEventId = 20;

    [Fact]
    public async Task CustomRoots_ValidChain_IsAccepted()
    {
        using var certificate = fixture.Ca.IssueServerCertificate();

        await AssertAcceptedAsync(certificate);
    }

    [Fact]
    public async Task CustomRoots_ExpiredServerCertificate_IsRejectedAsExpired()
    {
        using var certificate = fixture.Ca.IssueServerCertificate(configure: o =>
        {
            o.NotBefore = DateTimeOffset.UtcNow.AddDays(-10);
            o.NotAfter = DateTimeOffset.UtcNow.AddDays(-1);
        });

        var ex = await AssertRejectedAsync(certificate);

        ex.Reason.Should().Be(ServerCertificateFailureReason.Expired);
    }

    [Fact]
    public async Task CustomRoots_NotYetValidServerCertificate_IsRejectedAsNotYetValid()
    {
        using var certificate = fixture.Ca.IssueServerCertificate(configure: o =>
        {
            o.NotBefore = DateTimeOffset.UtcNow.AddDays(1);
            o.NotAfter = DateTimeOffset.UtcNow.AddDays(10);
        });

        var ex = await AssertRejectedAsync(certificate);

        ex.Reason.Should().Be(ServerCertificateFailureReason.NotYetValid);
    }

    [Fact]
    public async Task CustomRoots_WrongHostName_IsRejectedAsNameMismatch()
    {
        using var certificate = fixture.IssueWrongNameServerCertificate();

        var ex = await AssertRejectedAsync(certificate);

        ex.Reason.Should().Be(ServerCertificateFailureReason.NameMismatch);
        ex.TargetHost.Should().Be("127.0.0.1");
    }

    [Fact]
    public async Task CustomRoots_SelfSignedServerCertificate_IsRejectedAsUntrustedRoot()
    {
        using var certificate = fixture.Ca.CreateSelfSigned("CN=self-signed server", o =>
        {
            o.EnhancedKeyUsages = [TestCertificateAuthority.ServerAuthenticationOid];
            o.DnsNames = ["localhost"];
            o.IpAddresses = [System.Net.IPAddress.Loopback];
        });

        var ex = await AssertRejectedAsync(certificate, server: o => o.SendServerIntermediate = false);

        ex.Reason.Should().Be(ServerCertificateFailureReason.UntrustedRoot);
    }

    [Fact]
    public async Task CustomRoots_ServerFromAnotherCa_IsRejectedAsPartialChain()
    {
        // Observed: even when the server is configured to send its root, the client never receives it (a self-signed
        // root is not part of the sent chain), so the chain stops at an issuer the client does not know.
        using var otherCa = TestCertificateAuthority.Create("Untrusted");
        using var certificate = otherCa.IssueServerCertificate();

        var ex = await AssertRejectedAsync(certificate, server: o => o.ServerIntermediates = [otherCa.Intermediate, otherCa.Root], ca: otherCa);

        ex.Reason.Should().Be(ServerCertificateFailureReason.PartialChain);
    }

    [Fact]
    public async Task CustomRoots_ChainEndingAtAKnownButUntrustedRoot_IsRejectedAsUntrustedRoot()
    {
        using var otherCa = TestCertificateAuthority.Create("Known untrusted");
        using var certificate = otherCa.IssueServerCertificate();
        var extra = TestCertificateAuthority.WriteCertificatePem(fixture.Temp.Combine(Guid.NewGuid().ToString("N") + "-extra.pem"), otherCa.Root);

        var ex = await AssertRejectedAsync(certificate, o => o.ServerTrust.IntermediateCertificatesPath = extra, ca: otherCa);

        ex.Reason.Should().Be(ServerCertificateFailureReason.UntrustedRoot);
    }

    [Fact]
    public async Task CustomRoots_ServerSendsLeafOnly_IsRejectedAsPartialChain()
    {
        using var certificate = fixture.Ca.IssueServerCertificate();

        var ex = await AssertRejectedAsync(certificate, server: o => o.SendServerIntermediate = false);

        ex.Reason.Should().Be(ServerCertificateFailureReason.PartialChain);
    }

    [Fact]
    public async Task CustomRoots_ServerSendsLeafOnlyAndIntermediateIsConfigured_IsAccepted()
    {
        using var certificate = fixture.Ca.IssueServerCertificate();
        var intermediates = TestCertificateAuthority.WriteCertificatePem(fixture.Temp.Combine(Guid.NewGuid().ToString("N") + "-intermediates.pem"), fixture.Ca.Intermediate);

        await AssertAcceptedAsync(certificate, o => o.ServerTrust.IntermediateCertificatesPath = intermediates, server: o => o.SendServerIntermediate = false);
    }

    [Fact]
    public async Task CustomRoots_ServerCertificateWithoutServerAuthUsage_IsRejected()
    {
        using var certificate = fixture.Ca.IssueServerCertificate(configure: o => o.EnhancedKeyUsages = [TestCertificateAuthority.ClientAuthenticationOid]);

        var ex = await AssertRejectedAsync(certificate);

        ex.Reason.Should().Be(ServerCertificateFailureReason.NotValidForServerAuthentication);
    }

    [Fact]
    public async Task PinnedPublicKeys_LeafPin_IsAccepted()
    {
        using var certificate = fixture.Ca.IssueServerCertificate();

        await AssertAcceptedAsync(certificate, o => o.ServerTrust.PinnedPublicKeys.Add(Pin(certificate)));
    }

    [Fact]
    public async Task PinnedPublicKeys_IntermediatePin_IsAccepted()
    {
        using var certificate = fixture.Ca.IssueServerCertificate();

        await AssertAcceptedAsync(certificate, o => o.ServerTrust.PinnedPublicKeys.Add(Pin(fixture.Ca.Intermediate)));
    }

    [Fact]
    public async Task PinnedPublicKeys_BackupPinMatches_IsAccepted()
    {
        using var certificate = fixture.Ca.IssueServerCertificate();

        await AssertAcceptedAsync(certificate, o =>
        {
            o.ServerTrust.PinnedPublicKeys.Add(UnrelatedPin());
            o.ServerTrust.PinnedPublicKeys.Add(Pin(certificate));
        });
    }

    [Fact]
    public async Task PinnedPublicKeys_NoPinMatches_IsRejectedAsPinMismatch()
    {
        using var certificate = fixture.Ca.IssueServerCertificate();

        var ex = await AssertRejectedAsync(certificate, o => o.ServerTrust.PinnedPublicKeys.Add(UnrelatedPin()));

        ex.Reason.Should().Be(ServerCertificateFailureReason.PinMismatch);
        ex.Message.Should().Contain(Pin(certificate), "the message shows the leaf's pin to help fix the configuration");
    }

    [Fact]
    public async Task PinnedPublicKeys_MatchingPinOnAServerFromAnotherCa_IsStillRejectedByChainValidation()
    {
        using var otherCa = TestCertificateAuthority.Create("Pinned but untrusted");
        using var certificate = otherCa.IssueServerCertificate();

        var ex = await AssertRejectedAsync(certificate, o => o.ServerTrust.PinnedPublicKeys.Add(Pin(certificate)), ca: otherCa);

        ex.Reason.Should().Be(ServerCertificateFailureReason.PartialChain, "a pin is checked in addition to the chain, never instead");
    }

    [Fact]
    public async Task AllowedServerIdentities_IdentityMatchesButHostNameDoesNot_IsRejectedAsNameMismatch()
    {
        using var certificate = fixture.Ca.IssueServerCertificate("CN=payments", o =>
        {
            o.DnsNames = ["payments.internal"];
            o.IpAddresses = [];
            o.UriNames = [new Uri("spiffe://corp/payments")];
        });

        var ex = await AssertRejectedAsync(certificate, o => o.ServerTrust.AllowedServerIdentities.Add("uri:spiffe://corp/payments"));

        ex.Reason.Should().Be(ServerCertificateFailureReason.NameMismatch, "an identity is checked in addition to the host name, never instead");
    }

    [Fact]
    public async Task AllowedServerIdentities_UriSanMatches_IsAccepted()
    {
        using var certificate = fixture.Ca.IssueServerCertificate(configure: o => o.UriNames = [new Uri("spiffe://corp/payments")]);

        await AssertAcceptedAsync(certificate, o => o.ServerTrust.AllowedServerIdentities.Add("uri:spiffe://corp/payments"));
    }

    [Fact]
    public async Task AllowedServerIdentities_UriSanDiffers_IsRejectedAsIdentityNotAllowed()
    {
        using var certificate = fixture.Ca.IssueServerCertificate(configure: o => o.UriNames = [new Uri("spiffe://corp/ledger")]);

        var ex = await AssertRejectedAsync(certificate, o => o.ServerTrust.AllowedServerIdentities.Add("uri:spiffe://corp/payments"));

        ex.Reason.Should().Be(ServerCertificateFailureReason.IdentityNotAllowed);
        ex.Message.Should().Contain("uri:spiffe://corp/ledger");
    }

    [Fact]
    public async Task Sha1SignedServerCertificate_IsRejectedByDefault()
    {
        using var certificate = fixture.Ca.IssueServerCertificate(configure: o => o.HashAlgorithm = HashAlgorithmName.SHA1);

        var ex = await AssertRejectedAsync(certificate);

        ex.Reason.Should().Be(ServerCertificateFailureReason.WeakSignatureAlgorithm);
    }

    [Fact]
    public async Task Sha1SignedServerCertificate_IsAcceptedWithItsRelaxation()
    {
        using var certificate = fixture.Ca.IssueServerCertificate(configure: o => o.HashAlgorithm = HashAlgorithmName.SHA1);

        await AssertAcceptedAsync(certificate, o => o.ServerTrust.AllowSha1SignedServerCertificate = true);
    }

    [Fact]
    public async Task Rsa1024ServerCertificate_IsRejectedByDefault()
    {
        using var certificate = fixture.Ca.IssueServerCertificate(configure: o =>
        {
            o.KeyAlgorithm = TestKeyAlgorithm.Rsa;
            o.RsaKeySize = 1024;
        });

        var ex = await AssertRejectedAsync(certificate);

        ex.Reason.Should().Be(ServerCertificateFailureReason.WeakKey);
    }

    [Fact]
    public async Task Rsa1024ServerCertificate_IsAcceptedWithALowerMinimumRsaKeySize()
    {
        using var certificate = fixture.Ca.IssueServerCertificate(configure: o =>
        {
            o.KeyAlgorithm = TestKeyAlgorithm.Rsa;
            o.RsaKeySize = 1024;
        });

        await AssertAcceptedAsync(certificate, o => o.ServerTrust.MinimumRsaKeySize = 1024);
    }

    [Fact]
    public async Task CommonNameOnlyServerCertificate_IsRejectedByDefault()
    {
        using var certificate = CommonNameOnly();

        var ex = await AssertRejectedAsync(certificate, useLocalhost: true);

        ex.Reason.Should().Be(ServerCertificateFailureReason.MissingSubjectAlternativeName);
    }

    [Fact]
    public async Task UriOnlySubjectAlternativeName_IsRejectedByDefault_NotMatchedByItsCommonName()
    {
        // Issue 14, item 6: a SAN extension with only a URI (a SPIFFE ID, say) used to satisfy the rule, and the
        // platform then matched the host name against the common name.
        using var certificate = fixture.Ca.IssueServerCertificate("CN=localhost", o =>
        {
            o.DnsNames = [];
            o.IpAddresses = [];
            o.UriNames = [new Uri("spiffe://corp.example/api")];
        });

        var ex = await AssertRejectedAsync(certificate, useLocalhost: true);

        ex.Reason.Should().Be(ServerCertificateFailureReason.MissingSubjectAlternativeName);
        ex.Message.Should().Contain("no DNS name and no IP address");
    }

    [Fact]
    public async Task CommonNameOnlyServerCertificate_IsAcceptedWithItsRelaxation()
    {
        using var certificate = CommonNameOnly();

        await AssertAcceptedAsync(certificate, o => o.ServerTrust.AllowServerCertificateWithoutSubjectAlternativeName = true, useLocalhost: true);
    }

    [Fact]
    public async Task CertificateAuthorityAsServerCertificate_IsRejectedByDefault()
    {
        using var certificate = fixture.Ca.IssueServerCertificate(configure: o => o.IsCertificateAuthority = true);

        var ex = await AssertRejectedAsync(certificate);

        ex.Reason.Should().Be(ServerCertificateFailureReason.CertificateAuthorityAsServerCertificate);
    }

    [Fact]
    public async Task CertificateAuthorityAsServerCertificate_IsAcceptedWithItsRelaxation()
    {
        using var certificate = fixture.Ca.IssueServerCertificate(configure: o => o.IsCertificateAuthority = true);

        await AssertAcceptedAsync(certificate, o => o.ServerTrust.AllowCertificateAuthorityAsServerCertificate = true);
    }

    [Fact]
    public async Task SystemMode_PrivateCaServer_IsRejected()
    {
        using var certificate = fixture.Ca.IssueServerCertificate();

        var ex = await AssertRejectedAsync(certificate, o =>
        {
            o.ServerTrust.Mode = ServerTrustMode.System;
            o.ServerTrust.RootCertificatesPath = null;
        });

        ex.Reason.Should().BeOneOf(ServerCertificateFailureReason.PartialChain, ServerCertificateFailureReason.UntrustedRoot);
    }

    [Fact]
    public async Task SystemAndCustomRoots_PrivateCaServer_IsAccepted()
    {
        using var certificate = fixture.Ca.IssueServerCertificate();

        await AssertAcceptedAsync(certificate, o => o.ServerTrust.Mode = ServerTrustMode.SystemAndCustomRoots);
    }

    [Fact]
    public async Task SystemAndCustomRoots_ServerFromAnotherPrivateCa_IsRejected()
    {
        using var otherCa = TestCertificateAuthority.Create("Other private");
        using var certificate = otherCa.IssueServerCertificate();

        var ex = await AssertRejectedAsync(certificate, o => o.ServerTrust.Mode = ServerTrustMode.SystemAndCustomRoots, ca: otherCa);

        ex.Reason.Should().Be(ServerCertificateFailureReason.PartialChain);
    }

    [Fact]
    public async Task RootCertificatesBase64_ValidChain_IsAccepted()
    {
        using var certificate = fixture.Ca.IssueServerCertificate();

        await AssertAcceptedAsync(certificate, o =>
        {
            o.ServerTrust.RootCertificatesPath = null;
            o.ServerTrust.RootCertificatesBase64 = Convert.ToBase64String(fixture.Ca.Root.RawData);
        });
    }

    [Fact]
    public async Task StoreAndThumbprint_RootFromTheCurrentUserStore_IsAccepted()
    {
        // HOME is isolated for this test assembly (IsolatedHome), so this store lives in a temporary folder.
        using var otherCa = TestCertificateAuthority.Create("Store root");
        using (var store = new X509Store("ClientCertHttpTests", StoreLocation.CurrentUser))
        {
            store.Open(OpenFlags.ReadWrite);
            using var publicRoot = X509CertificateLoader.LoadCertificate(otherCa.Root.RawData);
            store.Add(publicRoot);
        }

        using var certificate = otherCa.IssueServerCertificate();

        await AssertAcceptedAsync(
            certificate,
            o =>
            {
                o.ServerTrust.RootCertificatesPath = null;
                o.ServerTrust.Store = "ClientCertHttpTests";
                o.ServerTrust.Location = StoreLocation.CurrentUser;
                o.ServerTrust.Thumbprint = otherCa.Root.Thumbprint;
            },
            ca: otherCa);
    }

    [Fact]
    public async Task StoreAndThumbprint_ThumbprintNotInTheStore_FailsAtStartupAsCertificateNotFound()
    {
        using (var store = new X509Store("ClientCertHttpTestsOther", StoreLocation.CurrentUser))
        {
            store.Open(OpenFlags.ReadWrite);
            using var publicRoot = X509CertificateLoader.LoadCertificate(fixture.Ca.Root.RawData);
            store.Add(publicRoot);
        }

        var act = () => MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient("payments", o =>
        {
            fixture.Configure(o);
            o.ServerTrust.RootCertificatesPath = null;
            o.ServerTrust.Store = "ClientCertHttpTestsOther";
            o.ServerTrust.Thumbprint = fixture.Ca.Intermediate.Thumbprint;
        }));

        var ex = (await act.Should().ThrowAsync<ClientCertificateException>()).Which;
        ex.Reason.Should().Be(ClientCertificateFailureReason.CertificateNotFound);
        ex.Message.Should().Contain(fixture.Ca.Intermediate.Thumbprint).And.Contain("CurrentUser/ClientCertHttpTestsOther");
    }

    [Fact]
    public async Task Rejection_OverHttp2_CarriesTheSameTypedException()
    {
        using var certificate = fixture.Ca.IssueServerCertificate(configure: o => o.NotAfter = DateTimeOffset.UtcNow.AddMinutes(-1));
        await using var server = await StartServerAsync(certificate);
        using var host = await MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient("payments", o =>
        {
            fixture.Configure(o);
            o.BaseAddress = server.BaseAddress;
        }));
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("whoami", UriKind.Relative))
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        var act = () => client.SendAsync(request);

        var thrown = await act.Should().ThrowAsync<HttpRequestException>();
        thrown.Which.InnerException.Should().BeOfType<ServerCertificateValidationException>().Which.Reason.Should().Be(ServerCertificateFailureReason.Expired);
    }

    [Fact]
    public async Task OneClient_RepeatedHandshakesWithAGoodLeafThenAWeakLeaf_StillRejectsTheWeakOne()
    {
        // The verifier remembers the last leaf that passed the leaf-only checks; a different leaf must be checked anew.
        using var good = fixture.Ca.IssueServerCertificate();
        using var weak = fixture.Ca.IssueServerCertificate(configure: o => o.IsCertificateAuthority = true);
        await using var goodServer = await StartServerAsync(good);
        await using var weakServer = await StartServerAsync(weak);
        using var host = await MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient("payments", o =>
        {
            fixture.Configure(o);
            o.BaseAddress = goodServer.BaseAddress;
        }));
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("whoami", UriKind.Relative));
            request.Headers.ConnectionClose = true;
            using var response = await client.SendAsync(request);
            response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
        }

        var act = () => client.GetAsync(new Uri(weakServer.BaseAddress, "whoami"));

        var thrown = await act.Should().ThrowAsync<HttpRequestException>();
        thrown.Which.InnerException.Should().BeOfType<ServerCertificateValidationException>()
            .Which.Reason.Should().Be(ServerCertificateFailureReason.CertificateAuthorityAsServerCertificate);
        goodServer.HandshakeCount.Should().Be(3);
        weakServer.Reports.Should().BeEmpty();
    }

    [Fact]
    public async Task Rejection_IsLoggedOnceWithTheServerAndClient()
    {
        using var certificate = fixture.Ca.IssueServerCertificate(configure: o => o.NotAfter = DateTimeOffset.UtcNow.AddMinutes(-5));
        await using var server = await StartServerAsync(certificate);
        using var host = await MtlsFixture.StartHostAsync(services =>
        {
            services.AddLogging(b => b.AddFakeLogging());
            services.AddClientCertHttpClient("payments", o =>
            {
                fixture.Configure(o);
                o.BaseAddress = server.BaseAddress;
            });
        });

        await RequestAndGetRejectionAsync(host, "payments");

        var rejections = host.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == RejectedEventId).ToList();
        var record = rejections.Should().ContainSingle().Subject;
        record.Level.Should().Be(LogLevel.Warning);
        record.Message.Should().Contain("'payments'").And.Contain(certificate.Subject).And.Contain(certificate.Thumbprint).And.Contain("Expired");
    }

    private static string Pin(X509Certificate2 certificate) =>
        Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));

    private static string UnrelatedPin()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Convert.ToBase64String(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
    }

    private X509Certificate2 CommonNameOnly() => fixture.Ca.IssueServerCertificate("CN=localhost", o =>
    {
        o.DnsNames = [];
        o.IpAddresses = [];
    });

    private Task<MtlsTestServer> StartServerAsync(X509Certificate2 certificate, Action<MtlsTestServerOptions>? server = null, TestCertificateAuthority? ca = null) =>
        MtlsTestServer.StartAsync(ca ?? fixture.Ca, o =>
        {
            o.ServerCertificate = certificate;
            o.TrustedClientRoots = [fixture.Ca.Root];
            server?.Invoke(o);
        });

    private async Task AssertAcceptedAsync(
        X509Certificate2 certificate,
        Action<ClientCertHttpOptions>? configure = null,
        Action<MtlsTestServerOptions>? server = null,
        bool useLocalhost = false,
        TestCertificateAuthority? ca = null)
    {
        await using var running = await StartServerAsync(certificate, server, ca);
        using var host = await StartClientAsync(running, configure, useLocalhost);
        await RequestAndAssertOkAsync(host, "payments");

        running.Reports.Should().ContainSingle().Which.Subject.Should().Be("CN=functional-client");
        await host.StopAsync();
    }

    private async Task<ServerCertificateValidationException> AssertRejectedAsync(
        X509Certificate2 certificate,
        Action<ClientCertHttpOptions>? configure = null,
        Action<MtlsTestServerOptions>? server = null,
        bool useLocalhost = false,
        TestCertificateAuthority? ca = null)
    {
        await using var running = await StartServerAsync(certificate, server, ca);
        using var host = await StartClientAsync(running, configure, useLocalhost);

        var ex = await RequestAndGetRejectionAsync(host, "payments");

        ex.ClientName.Should().Be("payments");
        ex.ServerSubject.Should().Be(certificate.Subject);
        ex.ServerThumbprint.Should().Be(certificate.Thumbprint);
        running.Reports.Should().BeEmpty("no request may reach a rejected server");
        await host.StopAsync();
        return ex;
    }

    private Task<IHost> StartClientAsync(MtlsTestServer running, Action<ClientCertHttpOptions>? configure, bool useLocalhost) =>
        MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient("payments", o =>
        {
            fixture.Configure(o);
            o.BaseAddress = useLocalhost ? running.LocalhostAddress : running.BaseAddress;
            configure?.Invoke(o);
        }));

    internal static async Task RequestAndAssertOkAsync(IHost host, string clientName)
    {
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(clientName);

        using var response = await client.GetAsync(new Uri("whoami", UriKind.Relative));

        response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
    }

    internal static async Task<ServerCertificateValidationException> RequestAndGetRejectionAsync(IHost host, string clientName)
    {
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(clientName);
        var act = () => client.GetAsync(new Uri("whoami", UriKind.Relative));
        var thrown = await act.Should().ThrowAsync<HttpRequestException>();
        return thrown.Which.InnerException.Should().BeOfType<ServerCertificateValidationException>().Subject;
    }
}
