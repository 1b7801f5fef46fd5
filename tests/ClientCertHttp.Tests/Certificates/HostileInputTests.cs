using System.Diagnostics;

namespace ClientCertHttp.Tests.Certificates;

/// <summary>
/// Paths that are not certificate files must fail fast with a typed error (issue 14, item 12): the size cap relied on
/// the size a file reports, and a FIFO or a device reports 0, so the previous loader opened a FIFO (blocking until a
/// writer came) and read /dev/zero until memory ran out.
/// </summary>
public sealed class HostileInputTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    [Fact]
    public async Task CertificatePath_Fifo_FailsAtStartupWithoutOpeningIt()
    {
        var fifo = await MakeFifoAsync(".pfx");

        // Bounded only so that a regression fails instead of hanging the run; nothing here measures time.
        var ex = await SourceTestHost.FailAsync(o =>
        {
            o.Certificate.Path = fifo;
            o.Certificate.Password = ClientCertFixture.Password;
        }).WaitAsync(TimeSpan.FromSeconds(60));

        ex.Reason.Should().Be(ClientCertificateFailureReason.FileUnreadable);
        ex.Message.Should().Contain(fifo).And.Contain("not a regular file");
        SourceTestHost.AssertNamesClientAndSource(ex, fifo, ClientCertFixture.Password);
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/null")]
    public async Task CertificatePath_CharacterDevice_FailsAtStartupWithoutReadingIt(string device)
    {
        var ex = await SourceTestHost.FailAsync(o =>
        {
            o.Certificate.Path = device;
            o.Certificate.Password = ClientCertFixture.Password;
        }).WaitAsync(TimeSpan.FromSeconds(60));

        ex.Reason.Should().Be(ClientCertificateFailureReason.FileUnreadable);
        ex.Message.Should().Contain(device).And.Contain("not a regular file");
    }

    [Fact]
    public async Task RootCertificatesPath_Fifo_FailsAtStartupWithoutOpeningIt()
    {
        var pfx = fixture.WriteClientPfx();
        var fifo = await MakeFifoAsync("-roots.pem");

        var ex = await SourceTestHost.FailAsync(o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.Password = ClientCertFixture.Password;
            o.ServerTrust.Mode = ClientCertHttp.Trust.ServerTrustMode.CustomRoots;
            o.ServerTrust.RootCertificatesPath = fifo;
        }).WaitAsync(TimeSpan.FromSeconds(60));

        ex.Message.Should().Contain(fifo).And.Contain("not a regular file");
    }

    [Fact]
    public async Task CertificatePath_PemOfUnterminatedSections_FailsAtStartupBeforeTheQuadraticParse()
    {
        // Issue 14, item 13: 3 MiB of '-----BEGIN CERTIFICATE-----' lines without an end made the platform's PEM parser
        // search the rest of the file once per line: minutes of CPU. The linear pre-scan refuses it first.
        var pem = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".pem");
        var key = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + ".key");
        await File.WriteAllTextAsync(pem, string.Concat(Enumerable.Repeat("-----BEGIN CERTIFICATE-----\n", 110_000)));
        await File.WriteAllTextAsync(key, "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n");

        var ex = await SourceTestHost.FailAsync(o =>
        {
            o.Certificate.Path = pem;
            o.Certificate.KeyPath = key;
        }).WaitAsync(TimeSpan.FromSeconds(60));

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidFormat);
        ex.Message.Should().Contain(pem).And.Contain("has no '-----END CERTIFICATE-----'");
    }

    [Theory]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", null)]
    [InlineData("text before\n-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----\r\nBag Attributes\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", null)]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n", "has no '-----END CERTIFICATE-----'")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n", "closed by another label")]
    [InlineData("-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "starts inside")]
    [InlineData("-----BEGIN CERTIFICATE\nAAAA\n-----END CERTIFICATE-----\n", "not closed by '-----'")]
    [InlineData("-----BEGIN A-----\n-----END A-----\n-----BEGIN A-----\n-----END A-----\n-----BEGIN A-----\n-----END A-----\n-----BEGIN A-----\n-----END A-----\n-----BEGIN A-----\n-----END A-----\n", "more than 4 PEM sections")]
    public void PemScan_Sections_AreCheckedInOnePass(string text, string? problem)
    {
        var found = ClientCertHttp.Certificates.PemScan.Check(text, maxSections: 4);

        if (problem is null)
        {
            found.Should().BeNull();
        }
        else
        {
            found.Should().Contain(problem);
        }
    }

    /// <summary>Creates a real FIFO in the fixture's temporary folder (mkfifo from coreutils).</summary>
    private async Task<string> MakeFifoAsync(string suffix)
    {
        var fifo = fixture.Temp.Combine(Guid.NewGuid().ToString("N") + suffix);
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!;
        await mkfifo.WaitForExitAsync();
        mkfifo.ExitCode.Should().Be(0, "mkfifo creates the FIFO");
        return fifo;
    }
}
