using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;

namespace ClientCertHttp.Tool.Tests;

/// <summary><c>clientcert probe</c> against real loopback servers that accept, reject with an alert, close, or answer 400.</summary>
[Collection(ToolGroup.Name)]
public sealed class ProbeTests(ToolFixture fixture)
{
    [Fact]
    public async Task Probe_ServerAcceptsTheCertificate_ExitsZeroAndReportsTheHandshake()
    {
        var run = await ProbeAsync(fixture.Server.LocalhostAddress + "whoami", [.. fixture.PfxArguments(), "--json"]);

        run.ExitCode.Should().Be(0, run.ToString());
        var json = run.Json();
        json.GetProperty("outcome").GetString().Should().Be("ok");
        json.GetProperty("serverName").GetString().Should().Be("localhost");
        json.GetProperty("tls").GetProperty("protocol").GetString().Should().StartWith("Tls1");
        json.GetProperty("tls").GetProperty("cipherSuite").GetString().Should().StartWith("TLS_");
        json.GetProperty("tls").GetProperty("alpn").GetString().Should().Be("http/1.1");
        var client = json.GetProperty("clientCertificate");
        client.GetProperty("requested").GetBoolean().Should().BeTrue();
        client.GetProperty("sent").GetBoolean().Should().BeTrue();
        client.GetProperty("chain").EnumerateArray().Select(c => c.GetProperty("subject").GetString())
            .Should().Equal("CN=tool-client", fixture.Ca.Intermediate.Subject);
        var server = json.GetProperty("serverCertificate");
        server.GetProperty("trusted").GetBoolean().Should().BeTrue();
        server.GetProperty("built").EnumerateArray().Last().GetProperty("subject").GetString().Should().Be(fixture.Ca.Root.Subject);
        json.GetProperty("http").GetProperty("status").GetInt32().Should().Be(200);
        json.GetProperty("timings").GetProperty("tcpConnectMs").GetDouble().Should().BeGreaterThanOrEqualTo(0);
        json.GetProperty("timings").GetProperty("tlsHandshakeMs").GetDouble().Should().BeGreaterThan(0);
        json.GetProperty("timings").GetProperty("timeToFirstByteMs").GetDouble().Should().BeGreaterThan(0);
        json.GetProperty("resumption").GetProperty("attempted").GetBoolean().Should().BeTrue();
        json.GetProperty("resumption").GetProperty("resumed").GetBoolean().Should().BeTrue("the server issues session tickets and the host name is sent as SNI");
        json.GetProperty("diagnosis").GetProperty("side").GetString().Should().Be("none");

        // What the server saw: our leaf and the intermediate, through the tool's handshake.
        var report = fixture.Server.Reports.Last(r => r.Thumbprint == fixture.ClientThumbprint);
        report.SentChain.Select(c => c.Subject).Should().Equal(fixture.Ca.Intermediate.Subject);
    }

    [Fact]
    public async Task Probe_ServerAcceptsTheCertificate_PrintsTheKeyLines()
    {
        var run = await ProbeAsync(fixture.Server.LocalhostAddress + "whoami", fixture.PfxArguments());

        run.ExitCode.Should().Be(0, run.ToString());
        run.Output.Should().Contain("requested by server: yes")
            .And.Contain("leaf                 CN=tool-client")
            .And.Contain("Server certificate:    trusted (custom roots from")
            .And.Contain("HTTP/1.1 200 OK")
            .And.Contain("Session resumption:    yes")
            .And.Contain("Diagnosis (none): Mutual TLS works")
            .And.Contain("Result: ok (exit code 0)");
    }

    [Fact]
    public async Task Probe_CertificateExpiringSoon_ExitsOneWithTheReadinessWarning()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=expiring-probe-client", o => o.NotAfter = DateTimeOffset.UtcNow.AddDays(5));
        var pfx = fixture.Ca.WritePfx(fixture.Temp.Combine("expiring-probe.pfx"), leaf, ToolFixture.Password);

        var run = await ProbeAsync(fixture.Server.LocalhostAddress + "whoami", ["--cert", pfx, "--password-env", ToolFixture.PasswordVariable, "--ca", fixture.RootPemPath, "--json"]);

        run.ExitCode.Should().Be(1, run.ToString());
        var json = run.Json();
        json.GetProperty("http").GetProperty("status").GetInt32().Should().Be(200);
        json.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()).Should().ContainSingle()
            .Which.Should().StartWith("Client certificate: ExpiresSoon:");
    }

    [Fact]
    public async Task Probe_IpLiteral_DoesNotTryResumption()
    {
        var run = await ProbeAsync(fixture.Server.BaseAddress + "whoami", [.. fixture.PfxArguments(), "--json"]);

        run.ExitCode.Should().Be(0, run.ToString());
        var json = run.Json();
        json.GetProperty("serverName").ValueKind.Should().Be(JsonValueKind.Null);
        json.GetProperty("resumption").GetProperty("attempted").GetBoolean().Should().BeFalse();
        json.GetProperty("resumption").GetProperty("note").GetString().Should().Contain("IP literal");
    }

    [Fact]
    public async Task Probe_Http2_NegotiatesH2AndGetsTheStatusOverHttp2()
    {
        var run = await ProbeAsync(fixture.Server.LocalhostAddress + "whoami", [.. fixture.PfxArguments(), "--http2", "--json"]);

        run.ExitCode.Should().Be(0, run.ToString());
        var json = run.Json();
        json.GetProperty("tls").GetProperty("alpn").GetString().Should().Be("h2");
        json.GetProperty("http").GetProperty("version").GetString().Should().Be("2");
        json.GetProperty("http").GetProperty("status").GetInt32().Should().Be(200);
        fixture.Server.Reports.Should().Contain(r => r.HttpProtocol == "HTTP/2" && r.Thumbprint == fixture.ClientThumbprint);
    }

    [Theory]
    [InlineData("Tls12")]
    [InlineData("Tls13")]
    public async Task Probe_ServerRejectsWithTlsAlert_ExitsTwoAndNamesTheAlert(string protocol)
    {
        // OpenSSL's own verification failure path sends the alert: during the handshake under TLS 1.2, after it under 1.3.
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o =>
        {
            o.RejectWithTlsAlert = TlsAlert.UnknownCA;
            o.SslProtocols = Enum.Parse<System.Security.Authentication.SslProtocols>(protocol);
        });

        var run = await ProbeAsync(server.LocalhostAddress.ToString(), fixture.PfxArguments());

        run.ExitCode.Should().Be(2, run.ToString());
        run.Output.Should().Contain("Diagnosis (client-certificate-rejected): The server rejected our client certificate")
            .And.Contain("the server sent the TLS alert 'unknown ca'")
            .And.Contain("Result: failed (exit code 2)");
    }

    [Fact]
    public async Task Probe_ServerRequiresACertificateAndNoneIsGiven_ExitsTwoWithCertificateRequired()
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.RejectWithTlsAlert = TlsAlert.UnknownCA);

        var run = await ProbeAsync(server.LocalhostAddress.ToString(), ["--ca", fixture.RootPemPath, "--json"]);

        run.ExitCode.Should().Be(2, run.ToString());
        var json = run.Json();
        json.GetProperty("clientCertificate").GetProperty("requested").GetBoolean().Should().BeTrue();
        json.GetProperty("diagnosis").GetProperty("side").GetString().Should().Be("client-certificate-missing");
        json.GetProperty("diagnosis").GetProperty("evidence").GetString().Should().Contain("'certificate required'");
    }

    [Fact]
    public async Task Probe_KestrelRejectsTheCertificateAfterTheHandshake_ExitsTwo()
    {
        using var otherCa = TestCertificateAuthority.Create("Tool Kestrel Client Roots");
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.TrustedClientRoots = [otherCa.Root]);

        var run = await ProbeAsync(server.LocalhostAddress + "whoami", [.. fixture.PfxArguments(), "--json"]);

        run.ExitCode.Should().Be(2, run.ToString());
        var json = run.Json();
        json.GetProperty("outcome").GetString().Should().Be("failed");
        json.GetProperty("clientCertificate").GetProperty("sent").GetBoolean().Should().BeTrue();
        json.GetProperty("diagnosis").GetProperty("side").GetString().Should().Be("client-certificate-rejected");
        json.GetProperty("diagnosis").GetProperty("evidence").GetString().Should().Contain("closed the connection after the TLS handshake");
        server.FailedHandshakeCount.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task Probe_ServerListsAcceptableCas_ReportsTheListAndThatOurChainMatches()
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.SendAcceptableClientCaNames = true);

        var run = await ProbeAsync(server.LocalhostAddress + "whoami", [.. fixture.PfxArguments(), "--json"]);

        run.ExitCode.Should().Be(0, run.ToString());
        var client = run.Json().GetProperty("clientCertificate");
        client.GetProperty("acceptableCas").EnumerateArray().Select(e => e.GetString()).Should().Equal(fixture.Ca.Root.Subject);
        client.GetProperty("chainMatchesAcceptableCas").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task Probe_RejectedAndOurChainMatchesNoAcceptableCa_SaysSo()
    {
        using var otherCa = TestCertificateAuthority.Create("Tool Listed Client Roots");
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o =>
        {
            o.TrustedClientRoots = [otherCa.Root];
            o.SendAcceptableClientCaNames = true;
        });

        var run = await ProbeAsync(server.LocalhostAddress + "whoami", fixture.PfxArguments());

        run.ExitCode.Should().Be(2, run.ToString());
        run.Output.Should().Contain($"acceptable CAs:      {otherCa.Root.Subject}")
            .And.Contain("Diagnosis (client-certificate-rejected)")
            .And.Contain($"the server accepts client certificates from '{otherCa.Root.Subject}', and no certificate of our chain is issued by or is one of them");
    }

    [Fact]
    public async Task Probe_NginxLikeServerWithoutCertificate_ExitsOneAndExplainsThe400()
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.RejectionStatusCode = 400);

        var run = await ProbeAsync(server.BaseAddress.ToString(), ["--ca", fixture.RootPemPath, "--json"]);

        run.ExitCode.Should().Be(1, run.ToString());
        var json = run.Json();
        json.GetProperty("outcome").GetString().Should().Be("warnings");
        json.GetProperty("clientCertificate").GetProperty("requested").GetBoolean().Should().BeTrue();
        json.GetProperty("http").GetProperty("status").GetInt32().Should().Be(400);
        json.GetProperty("diagnosis").GetProperty("side").GetString().Should().Be("client-certificate-missing");
        json.GetProperty("diagnosis").GetProperty("evidence").GetString().Should().Contain("No required SSL certificate was sent");
    }

    [Fact]
    public async Task Probe_NginxLikeServerWithCertificate_ExitsZero()
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.RejectionStatusCode = 400);

        var run = await ProbeAsync(server.BaseAddress.ToString(), fixture.PfxArguments());

        run.ExitCode.Should().Be(0, run.ToString());
        run.Output.Should().Contain("HTTP/1.1 200 OK").And.Contain("Mutual TLS works");
    }

    [Fact]
    public async Task Probe_ServerDoesNotAskForACertificate_ExitsOneWithAWarning()
    {
        await using var server = await MtlsTestServer.StartAsync(fixture.Ca, o => o.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.NoCertificate);

        var run = await ProbeAsync(server.LocalhostAddress + "whoami", fixture.PfxArguments());

        run.ExitCode.Should().Be(1, run.ToString());
        run.Output.Should().Contain("requested by server: no")
            .And.Contain("warning: The server did not ask for a client certificate")
            .And.Contain("Result: warnings (exit code 1)");
    }

    [Fact]
    public async Task Probe_PrivateServerCertificateWithoutCa_ExitsTwoBlamingOurTrust()
    {
        var run = await ProbeAsync(fixture.Server.LocalhostAddress + "whoami", ["--cert", fixture.ClientPfxPath, "--password-env", ToolFixture.PasswordVariable, "--json"]);

        run.ExitCode.Should().Be(2, run.ToString());
        var json = run.Json();
        json.GetProperty("serverCertificate").GetProperty("trusted").GetBoolean().Should().BeFalse();
        json.GetProperty("serverCertificate").GetProperty("trust").GetString().Should().Be("system trust");
        json.GetProperty("diagnosis").GetProperty("side").GetString().Should().Be("server-certificate-rejected");
        json.GetProperty("diagnosis").GetProperty("advice").GetString().Should().Contain("--ca");
    }

    [Fact]
    public async Task Probe_NothingListens_ExitsTwoWithConnectionRefused()
    {
        int port;
        using (var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        }

        var run = await ProbeAsync($"https://127.0.0.1:{port}/", fixture.PfxArguments());

        run.ExitCode.Should().Be(2, run.ToString());
        run.Output.Should().Contain("Diagnosis (network): Connection refused");
    }

    [Fact]
    public async Task Probe_PasswordOption_DoesNotExist()
    {
        var run = await ClientCertTool.RunAsync("probe", fixture.Server.LocalhostAddress.ToString(), "--cert", fixture.ClientPfxPath, "--password", "not-a-real-password");

        run.ExitCode.Should().Be(2, run.ToString());
        run.Error.Should().Contain("--password");
    }

    [Fact]
    public async Task Probe_WrongPasswordFromEnvironment_ExitsTwoWithTheLibraryError()
    {
        var run = await ClientCertTool.RunAsync(
            ["probe", fixture.Server.LocalhostAddress.ToString(), "--cert", fixture.ClientPfxPath, "--password-env", ToolFixture.PasswordVariable, "--json"],
            new Dictionary<string, string> { [ToolFixture.PasswordVariable] = "Wr0ng-Secret-991" });

        run.ExitCode.Should().Be(2, run.ToString());
        var json = run.Json();
        json.GetProperty("status").GetString().Should().Be("Error");
        json.GetProperty("reason").GetString().Should().Be("WrongPassword");
        json.GetProperty("exitCode").GetInt32().Should().Be(2);
        run.Error.Should().Contain("integrity check failed").And.Contain("--password-env");
        (run.Output + run.Error).Should().NotContain("Wr0ng-Secret-991", "the password is never printed");
    }

    private static Task<ToolRun> ProbeAsync(string url, string[] arguments) =>
        ClientCertTool.RunAsync(["probe", url, .. arguments], ToolFixture.PasswordEnvironment);
}
