using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Resilience;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;
using ClientCertHttp.FunctionalTests.Trust;
using ClientCertHttp.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClientCertHttp.FunctionalTests.Issues;

/// <summary>
/// Issue 17: chains the platform (SslStream's own chain build and host name check, .NET 10 with OpenSSL 3) accepts
/// although RFC 5280 / CA/Browser Forum validators reject them. Each case is served by a real Kestrel server; the test
/// records the platform's verdict with a plain SocketsHttpHandler (CustomRootTrust) and then asserts the library's.
/// </summary>
[Collection(MtlsServerGroup.Name)]
public sealed class StricterThanPlatformTests(MtlsFixture fixture)
{
    // 1. Name constraints

    [Fact]
    public async Task NameConstraints_WildcardSanUnderExcludedSubtree_PlatformAcceptsLibraryRejects()
    {
        using var chain = TestChain.Create(o =>
        {
            o.IntermediateExtensions = [TestChain.NameConstraints(excludedDns: ["bad.example.com"])];
            o.LeafDnsNames = ["*.example.com"];
        });

        var ex = await AssertPlatformAcceptsLibraryRejectsAsync(chain);

        ex.Reason.Should().Be(ServerCertificateFailureReason.NameConstraintViolation);
        ex.Detail.Should().Contain("*.example.com").And.Contain("bad.example.com").And.Contain(chain.Intermediate.Subject);
    }

    [Fact]
    public async Task NameConstraints_WildcardSanUnderAnExclusionOnTheRoot_PlatformAcceptsLibraryRejects()
    {
        using var chain = TestChain.Create(o =>
        {
            o.RootExtensions = [TestChain.NameConstraints(excludedDns: ["bad.example.com"])];
            o.LeafDnsNames = ["*.example.com"];
        });

        var ex = await AssertPlatformAcceptsLibraryRejectsAsync(chain);

        ex.Reason.Should().Be(ServerCertificateFailureReason.NameConstraintViolation);
        ex.Detail.Should().Contain(chain.Root.Subject);
    }

    [Fact]
    public async Task NameConstraints_WildcardSanUnderExcludedSubtree_IsAcceptedWithItsRelaxation()
    {
        using var chain = TestChain.Create(o =>
        {
            o.IntermediateExtensions = [TestChain.NameConstraints(excludedDns: ["bad.example.com"])];
            o.LeafDnsNames = ["*.example.com"];
        });

        await AssertAcceptedAsync(chain, o => o.ServerTrust.AllowWildcardNameConstraintOverlap = true);
    }

    [Fact]
    public async Task NameConstraints_NamesInsideThePermittedAndOutsideTheExcludedSubtrees_AreAccepted()
    {
        using var chain = TestChain.Create(o =>
        {
            o.IntermediateExtensions = [TestChain.NameConstraints(permittedDns: ["example.com", "localhost"], excludedDns: ["bad.example.com"], permittedIp: [[127, 0, 0, 0, 255, 0, 0, 0]])];
            o.LeafDnsNames = ["localhost", "www.example.com", "*.api.example.com", "good.example.com"];
        });

        (await PlatformVerdictAsync(chain)).Should().BeNull();
        await AssertAcceptedAsync(chain);
    }

    [Fact]
    public async Task NameConstraints_WildcardSanBeyondThePermittedSubtree_IsRejectedByBoth()
    {
        using var chain = TestChain.Create(o =>
        {
            o.IntermediateExtensions = [TestChain.NameConstraints(permittedDns: ["good.example.com", "localhost"])];
            o.LeafDnsNames = ["localhost", "*.example.com"];
        });

        (await PlatformVerdictAsync(chain)).Should().NotBeNull("OpenSSL compares the wildcard's text with the permitted subtree and finds it outside");
        var ex = await AssertRejectedAsync(chain);
        ex.Reason.Should().Be(ServerCertificateFailureReason.InvalidChain, "the platform's own verdict (HasNotPermittedNameConstraint) comes first");
        ex.Detail.Should().Contain("HasNotPermittedNameConstraint");
    }

    // 2. Extended key usage

    [Fact]
    public async Task ExtendedKeyUsage_NoExtension_PlatformAcceptsLibraryRejects()
    {
        using var chain = TestChain.Create(o => o.LeafExtendedKeyUsages = null);

        var ex = await AssertPlatformAcceptsLibraryRejectsAsync(chain);

        ex.Reason.Should().Be(ServerCertificateFailureReason.MissingServerAuthenticationUsage);
    }

    [Fact]
    public async Task ExtendedKeyUsage_NoExtension_IsAcceptedWithItsRelaxation()
    {
        using var chain = TestChain.Create(o => o.LeafExtendedKeyUsages = null);

        await AssertAcceptedAsync(chain, o => o.ServerTrust.AllowServerCertificateWithoutExtendedKeyUsage = true);
    }

    [Fact]
    public async Task ExtendedKeyUsage_OnlyAnyExtendedKeyUsage_IsRejectedByBothEvenWithTheRelaxation()
    {
        using var chain = TestChain.Create(o => o.LeafExtendedKeyUsages = [TestChain.AnyExtendedKeyUsageOid]);

        (await PlatformVerdictAsync(chain)).Should().NotBeNull("the platform reports NotValidForUsage");
        var ex = await AssertRejectedAsync(chain, o => o.ServerTrust.AllowServerCertificateWithoutExtendedKeyUsage = true);
        ex.Reason.Should().Be(ServerCertificateFailureReason.NotValidForServerAuthentication);
    }

    [Fact]
    public async Task ExtendedKeyUsage_ServerAndClientAuthentication_IsAccepted()
    {
        using var chain = TestChain.Create(o => o.LeafExtendedKeyUsages = [TestChain.ServerAuthenticationOid, TestCertificateAuthority.ClientAuthenticationOid]);

        await AssertAcceptedAsync(chain);
    }

    // 3. Key strength on every element

    [Theory]
    [InlineData(TestChainKey.Rsa1024, false, "an RSA key of 1024 bits")]
    [InlineData(TestChainKey.Rsa1024, true, "an RSA key of 1024 bits")]
    [InlineData(TestChainKey.EcdsaP192, false, "192-bit curve")]
    [InlineData(TestChainKey.Dsa2048, false, "a DSA key")]
    [InlineData(TestChainKey.Dsa2048, true, "a DSA key")]
    public async Task KeyStrength_WeakCaKey_PlatformAcceptsLibraryRejects(TestChainKey key, bool onTheRoot, string expected)
    {
        using var chain = TestChain.Create(o =>
        {
            if (onTheRoot)
            {
                o.RootKey = key;
            }
            else
            {
                o.IntermediateKey = key;
            }
        });

        var ex = await AssertPlatformAcceptsLibraryRejectsAsync(chain);

        ex.Reason.Should().Be(ServerCertificateFailureReason.WeakKey);
        ex.Detail.Should().Contain(expected).And.Contain(onTheRoot ? $"root '{chain.Root.Subject}'" : $"intermediate '{chain.Intermediate.Subject}'");
    }

    [Fact]
    public async Task KeyStrength_Rsa1024Intermediate_IsAcceptedWithALowerMinimumRsaKeySize()
    {
        using var chain = TestChain.Create(o => o.IntermediateKey = TestChainKey.Rsa1024);

        await AssertAcceptedAsync(chain, o => o.ServerTrust.MinimumRsaKeySize = 1024);
    }

    [Fact]
    public async Task KeyStrength_Rsa2048Cas_AreAccepted()
    {
        using var chain = TestChain.Create(o =>
        {
            o.RootKey = TestChainKey.Rsa2048;
            o.IntermediateKey = TestChainKey.Rsa2048;
        });

        await AssertAcceptedAsync(chain);
    }

    // 4. keyCertSign on a leaf that is not a CA

    [Fact]
    public async Task KeyCertSign_OnANonCaServerCertificate_PlatformAcceptsLibraryRejects()
    {
        using var chain = TestChain.Create(o => o.LeafKeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign);

        var ex = await AssertPlatformAcceptsLibraryRejectsAsync(chain);

        ex.Reason.Should().Be(ServerCertificateFailureReason.CertificateSigningKeyAsServerCertificate);
    }

    [Fact]
    public async Task KeyCertSign_OnANonCaServerCertificate_IsAcceptedWithItsRelaxation()
    {
        using var chain = TestChain.Create(o => o.LeafKeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign);

        await AssertAcceptedAsync(chain, o => o.ServerTrust.AllowCertificateSigningKeyAsServerCertificate = true);
    }

    [Fact]
    public async Task KeyUsage_DigitalSignatureAndKeyEncipherment_IsAccepted()
    {
        using var chain = TestChain.Create(o => o.LeafKeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment);

        await AssertAcceptedAsync(chain);
    }

    // 5. The common name is never matched when a subject alternative name extension is present

    [Fact]
    public async Task CommonName_IpOnlySanAndHostByName_PlatformMatchesTheCommonNameLibraryRejects()
    {
        using var chain = TestChain.Create(o =>
        {
            o.LeafSubject = "CN=localhost";
            o.LeafDnsNames = [];
            o.LeafIpAddresses = [IPAddress.Loopback];
        });

        var ex = await AssertPlatformAcceptsLibraryRejectsAsync(chain, useLocalhost: true);

        ex.Reason.Should().Be(ServerCertificateFailureReason.NameMismatch);
        ex.Detail.Should().Contain("common name is never matched");
    }

    [Fact]
    public async Task CommonName_DnsOnlySanAndHostByIpAddress_PlatformMatchesTheCommonNameLibraryRejects()
    {
        using var chain = TestChain.Create(o =>
        {
            o.LeafSubject = "CN=127.0.0.1";
            o.LeafDnsNames = ["other.test"];
            o.LeafIpAddresses = [];
        });

        var ex = await AssertPlatformAcceptsLibraryRejectsAsync(chain);

        ex.Reason.Should().Be(ServerCertificateFailureReason.NameMismatch);
    }

    [Fact]
    public async Task CommonName_UriOnlySanWithTheNoSanRelaxation_PlatformMatchesTheCommonNameLibraryRejects()
    {
        // AllowServerCertificateWithoutSubjectAlternativeName covers certificates without the extension only.
        using var chain = TestChain.Create(o =>
        {
            o.LeafSubject = "CN=localhost";
            o.LeafDnsNames = [];
            o.LeafIpAddresses = [];
            o.LeafUris = [new Uri("spiffe://corp.example/api")];
        });

        var ex = await AssertPlatformAcceptsLibraryRejectsAsync(chain, o => o.ServerTrust.AllowServerCertificateWithoutSubjectAlternativeName = true, useLocalhost: true);

        ex.Reason.Should().Be(ServerCertificateFailureReason.NameMismatch);
    }

    [Fact]
    public async Task CommonName_NoSanExtensionWithItsRelaxation_IsStillMatched()
    {
        using var chain = TestChain.Create(o =>
        {
            o.LeafSubject = "CN=localhost";
            o.LeafDnsNames = [];
            o.LeafIpAddresses = [];
        });

        await AssertAcceptedAsync(chain, o => o.ServerTrust.AllowServerCertificateWithoutSubjectAlternativeName = true, useLocalhost: true);
    }

    [Fact]
    public async Task CommonName_DnsSanMatchesTheHost_IsAcceptedByNameAndByIpAddress()
    {
        using var chain = TestChain.Create(o => o.LeafSubject = "CN=some other name");

        await AssertAcceptedAsync(chain, useLocalhost: true);
        await AssertAcceptedAsync(chain);
    }

    // 6. The platform throws while building the chain

    [Fact]
    public async Task ChainBuild_PlatformThrows_IsRejectedAsInvalidChainAndNotRetried()
    {
        // OpenSSL 3 gives up (X509_V_ERR_UNSPECIFIED) when constraints x names exceed 2^20, and .NET does not map that
        // code: X509Chain.Build throws. The server sends its leaf only: the server's own chain build (for the intermediates
        // it sends) would throw too. The client has the intermediate from IntermediateCertificatesPath.
        using var chain = PathologicalNameConstraintsChain();
        var intermediates = TestCertificateAuthority.WriteCertificatePem(fixture.Temp.Combine(Guid.NewGuid().ToString("N") + "-int.pem"), chain.Intermediate);

        var platform = await PlatformVerdictAsync(chain, sendIntermediate: false);
        platform.Should().BeOfType<HttpRequestException>().Which.InnerException.Should().BeOfType<CryptographicException>();

        await using var server = await StartServerAsync(chain, sendIntermediate: false);
        using var host = await StartClientAsync(chain, server, o => o.ServerTrust.IntermediateCertificatesPath = intermediates, useLocalhost: true);
        var ex = await ServerTrustTests.RequestAndGetRejectionAsync(host, "payments");

        ex.Reason.Should().Be(ServerCertificateFailureReason.InvalidChain);
        ex.InnerException.Should().BeOfType<CryptographicException>();
        ex.TargetHost.Should().Be("localhost");
        ex.Detail.Should().Contain("could not build the server's certificate chain");
        server.TotalConnectionCount.Should().Be(1, "a chain the platform cannot build is a trust failure, never retried");
        server.Reports.Should().BeEmpty();
    }

    [Fact]
    public async Task ChainBuild_PlatformThrowsWithRetriesOff_IsClassifiedAsAServerCertificateRejection()
    {
        using var chain = PathologicalNameConstraintsChain();
        var intermediates = TestCertificateAuthority.WriteCertificatePem(fixture.Temp.Combine(Guid.NewGuid().ToString("N") + "-int.pem"), chain.Intermediate);
        await using var server = await StartServerAsync(chain, sendIntermediate: false);
        using var host = await StartClientAsync(chain, server, o =>
        {
            o.ServerTrust.IntermediateCertificatesPath = intermediates;
            o.Retry.Enabled = false;
        });
        using var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("payments");

        var act = () => client.GetAsync(new Uri("whoami", UriKind.Relative));

        var thrown = (await act.Should().ThrowAsync<HttpRequestException>()).Which;
        var classification = HttpFailureClassifier.Classify(thrown);
        classification.Category.Should().Be(HttpFailureCategory.ServerCertificateRejected);
        classification.IsTransient.Should().BeFalse();
        classification.Description.Should().Contain("could not build the server's certificate chain");
    }

    private static TestChain PathologicalNameConstraintsChain() => TestChain.Create(o =>
    {
        o.IntermediateExtensions = [TestChain.NameConstraints(excludedDns: Enumerable.Range(0, 1030).Select(i => $"x{i}.excluded.test"))];
        o.LeafDnsNames = [.. Enumerable.Range(0, 1030).Select(i => $"n{i}.example.test"), "localhost"];
    });

    private async Task<ServerCertificateValidationException> AssertPlatformAcceptsLibraryRejectsAsync(TestChain chain, Action<ClientCertHttpOptions>? configure = null, bool useLocalhost = false)
    {
        (await PlatformVerdictAsync(chain, useLocalhost: useLocalhost)).Should().BeNull("the platform accepts this chain");
        return await AssertRejectedAsync(chain, configure, useLocalhost);
    }

    private async Task<ServerCertificateValidationException> AssertRejectedAsync(TestChain chain, Action<ClientCertHttpOptions>? configure = null, bool useLocalhost = false)
    {
        await using var server = await StartServerAsync(chain);
        using var host = await StartClientAsync(chain, server, configure, useLocalhost);

        var ex = await ServerTrustTests.RequestAndGetRejectionAsync(host, "payments");

        ex.ServerThumbprint.Should().Be(chain.Leaf.Thumbprint);
        server.Reports.Should().BeEmpty("no request may reach a rejected server");
        return ex;
    }

    private async Task AssertAcceptedAsync(TestChain chain, Action<ClientCertHttpOptions>? configure = null, bool useLocalhost = false)
    {
        await using var server = await StartServerAsync(chain);
        using var host = await StartClientAsync(chain, server, configure, useLocalhost);

        await ServerTrustTests.RequestAndAssertOkAsync(host, "payments");

        server.Reports.Should().ContainSingle().Which.Subject.Should().Be("CN=functional-client");
    }

    private Task<MtlsTestServer> StartServerAsync(TestChain chain, bool sendIntermediate = true) =>
        MtlsTestServer.StartAsync(fixture.Ca, o =>
        {
            o.ServerCertificate = chain.Leaf;
            o.ServerIntermediates = [chain.Intermediate];
            o.SendServerIntermediate = sendIntermediate;
            o.TrustedClientRoots = [fixture.Ca.Root];
        });

    /// <summary>A client through AddClientCertHttpClient whose only trust is the chain's root (ServerTrust CustomRoots).</summary>
    private Task<IHost> StartClientAsync(TestChain chain, MtlsTestServer server, Action<ClientCertHttpOptions>? configure, bool useLocalhost = false) =>
        MtlsFixture.StartHostAsync(services => services.AddClientCertHttpClient("payments", o =>
        {
            fixture.Configure(o);
            o.BaseAddress = useLocalhost ? server.LocalhostAddress : server.BaseAddress;
            o.ServerTrust.RootCertificatesPath = null;
            o.ServerTrust.RootCertificatesBase64 = Convert.ToBase64String(chain.Root.RawData);
            configure?.Invoke(o);
        }));

    /// <summary>
    /// The platform's verdict: a plain SocketsHttpHandler whose only trust is the chain's root (CustomRootTrust, the
    /// chain's intermediate in ExtraStore), no validation callback. <see langword="null"/> when the request succeeds.
    /// </summary>
    private async Task<Exception?> PlatformVerdictAsync(TestChain chain, bool sendIntermediate = true, bool useLocalhost = false)
    {
        await using var server = await StartServerAsync(chain, sendIntermediate);
        using var clientLeaf = X509CertificateLoader.LoadPkcs12FromFile(fixture.ClientPfxPath, MtlsFixture.Password);
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(chain.Root);
        policy.ExtraStore.Add(chain.Intermediate);
        using var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                CertificateChainPolicy = policy,
                ClientCertificateContext = SslStreamCertificateContext.Create(clientLeaf, [fixture.Ca.Intermediate], offline: true),
            },
        };
        using var client = new HttpClient(handler);
        try
        {
            using var response = await client.GetAsync(new Uri(useLocalhost ? server.LocalhostAddress : server.BaseAddress, "whoami"));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            return null;
        }
        catch (HttpRequestException ex)
        {
            return ex;
        }
    }
}
