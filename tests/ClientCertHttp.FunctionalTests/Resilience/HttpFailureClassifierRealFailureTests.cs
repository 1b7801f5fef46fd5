using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Resilience;
using ClientCertHttp.Testing;
using Xunit.Abstractions;

namespace ClientCertHttp.FunctionalTests.Resilience;

/// <summary>
/// The classifier against exceptions captured from real failing connections: a plain SocketsHttpHandler (no
/// ClientCertHttp pipeline) talks to real servers that fail in the way under test, and the exception it throws is
/// classified. The OpenSSL alerts come from a real <c>openssl s_server</c> (Kestrel never sends one).
/// </summary>
[Collection(MtlsServerGroup.Name)]
public sealed class HttpFailureClassifierRealFailureTests(MtlsFixture fixture, ITestOutputHelper output)
{
    public static TheoryData<string> HttpVersions => ["1.1", "2.0"];

    [Theory]
    [MemberData(nameof(HttpVersions))]
    public async Task Classify_KestrelRejectsTheClientCertificate_IsClientCertificateRejected(string version)
    {
        using var otherCa = TestCertificateAuthority.Create("Untrusted Client Roots");
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.TrustedClientRoots = [otherCa.Root]);

        var ex = await CaptureAsync(server.BaseAddress, Version.Parse(version));

        Classify(ex).Category.Should().Be(HttpFailureCategory.ClientCertificateRejected, "the captured failure was {0}", ex);
    }

    [Fact]
    public async Task Classify_NoClientCertificateSentToKestrel_IsClientCertificateRejected()
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca);

        var ex = await CaptureAsync(server.BaseAddress, HttpVersion.Version11, sendCertificate: false);

        Classify(ex).Category.Should().Be(HttpFailureCategory.ClientCertificateRejected);
    }

    [Fact]
    public async Task Classify_ServerFromAnotherCa_IsServerCertificateRejected()
    {
        using var otherCa = TestCertificateAuthority.Create("Other Server");
        await using var server = await MtlsTestServer.StartAsync(otherCa, o => o.TrustedClientRoots = [fixture.Ca.Root]);

        var ex = await CaptureAsync(server.BaseAddress, HttpVersion.Version11);

        var classification = Classify(ex);
        classification.Category.Should().Be(HttpFailureCategory.ServerCertificateRejected);
        classification.Description.Should().Contain("PartialChain");
    }

    [Fact]
    public async Task Classify_ServerCertificateForAnotherHost_IsServerCertificateRejected()
    {
        using var wrongName = fixture.IssueWrongNameServerCertificate();
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.ServerCertificate = wrongName);

        var ex = await CaptureAsync(server.BaseAddress, HttpVersion.Version11);

        Classify(ex).Category.Should().Be(HttpFailureCategory.ServerCertificateRejected);
    }

    [Fact]
    public async Task Classify_ConnectionRefused_IsTransient()
    {
        var ex = await CaptureAsync(new Uri($"https://127.0.0.1:{FreePort()}/"), HttpVersion.Version11);

        Classify(ex).Category.Should().Be(HttpFailureCategory.Transient);
    }

    [Theory]
    [MemberData(nameof(HttpVersions))]
    public async Task Classify_ServerAbortsTheRequest_IsTransient(string version)
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.RequestHandler = context =>
        {
            context.Abort();
            return Task.FromResult(true);
        });

        var ex = await CaptureAsync(server.BaseAddress, Version.Parse(version));

        Classify(ex).Category.Should().Be(HttpFailureCategory.Transient);
    }

    [Fact]
    public async Task Classify_CallerCancellationAndHttpClientTimeout_AreCanceledAndTransient()
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.RequestHandler = async context =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return true;
        });

        using var canceled = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var byCaller = await CaptureAsync(server.BaseAddress, HttpVersion.Version11, cancellationToken: canceled.Token);
        var byTimeout = await CaptureAsync(server.BaseAddress, HttpVersion.Version11, timeout: TimeSpan.FromMilliseconds(300));

        Classify(byCaller).Category.Should().Be(HttpFailureCategory.Canceled);
        Classify(byTimeout).Category.Should().Be(HttpFailureCategory.Transient);
    }

    [Theory]
    [InlineData("-tls1_2", true, HttpFailureCategory.ClientCertificateRejected, "unknown ca")]
    [InlineData("-tls1_3", true, HttpFailureCategory.ClientCertificateRejected, "unknown ca")]
    [InlineData("-tls1_3", false, HttpFailureCategory.ClientCertificateRejected, "certificate required")]
    [InlineData("-tls1_2", false, HttpFailureCategory.TlsHandshakeFailed, "handshake failure")]
    public async Task Classify_OpenSslServerSendsAnAlert_UsesTheAlert(string protocol, bool sendCertificate, HttpFailureCategory expected, string alert)
    {
        // An OpenSSL server that checks the client certificate during the handshake, against a root that did not
        // issue it, and answers with a real TLS alert.
        using var otherCa = TestCertificateAuthority.Create("OpenSSL Client Roots");
        using var serverCertificate = fixture.Ca.IssueServerCertificate();
        var folder = fixture.Temp.Combine("openssl-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        TestCertificateAuthority.WriteCertificatePem(Path.Combine(folder, "server.pem"), serverCertificate);
        TestCertificateAuthority.WriteCertificatePem(Path.Combine(folder, "chain.pem"), fixture.Ca.Intermediate);
        TestCertificateAuthority.WritePrivateKeyPem(Path.Combine(folder, "server.key"), serverCertificate);
        otherCa.WriteRootPem(Path.Combine(folder, "client-roots.pem"));
        var port = FreePort();
        using var openssl = Process.Start(new ProcessStartInfo(
            "openssl",
            $"s_server -accept 127.0.0.1:{port} -cert server.pem -cert_chain chain.pem -key server.key -Verify 1 -verify_return_error -CAfile client-roots.pem {protocol} -www -naccept 4")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("openssl could not be started; the openssl command-line tool is needed by this test.");
        try
        {
            await WaitForListenerAsync(port);

            var ex = await CaptureAsync(new Uri($"https://127.0.0.1:{port}/"), HttpVersion.Version11, sendCertificate);

            var classification = Classify(ex);
            classification.Category.Should().Be(expected);
            classification.Description.Should().Contain($"'{alert}'");
        }
        finally
        {
            openssl.Kill();
            await openssl.WaitForExitAsync();
        }
    }

    private HttpFailureClassification Classify(Exception exception)
    {
        // The captured shape, for whoever changes the classifier next.
        for (var (current, depth) = (exception, 0); current is not null; current = current.InnerException, depth++)
        {
            output.WriteLine($"{new string(' ', depth * 2)}{current.GetType().FullName}: {current.Message}");
        }

        var classification = HttpFailureClassifier.Classify(exception);
        output.WriteLine($"=> {classification}");
        return classification;
    }

    private async Task<Exception> CaptureAsync(Uri uri, Version version, bool sendCertificate = true, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=classifier-client");
        using var handler = new SocketsHttpHandler();
        if (sendCertificate)
        {
            handler.SslOptions.ClientCertificateContext = SslStreamCertificateContext.Create(leaf, [fixture.Ca.Intermediate], offline: true);
        }

        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { fixture.Ca.Root },
            RevocationMode = X509RevocationMode.NoCheck,
        };
        using var client = new HttpClient(handler);
        if (timeout is { } value)
        {
            client.Timeout = value;
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(uri, "whoami")) { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        try
        {
            using var response = await client.SendAsync(request, cancellationToken);
        }
        catch (Exception ex)
        {
            return ex;
        }

        throw new Xunit.Sdk.XunitException($"The request to {uri} succeeded, but a failure was expected.");
    }

    private static int FreePort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    private static async Task WaitForListenerAsync(int port)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50);
            }
        }
    }
}
