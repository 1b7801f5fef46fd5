using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;

namespace ClientCertHttp.Tests.Certificates;

/// <summary>
/// The store source against the real .NET <see cref="X509Store"/>. The process's HOME points at a temporary folder
/// (IsolatedStoreInitializer), and every test also removes what it added, so the user's stores are never changed.
/// </summary>
public sealed class StoreSourceTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    [Fact]
    public async Task StoreSource_ByThumbprint_LoadsTheCertificateWithTheIntermediateFromTheCaStore()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=store-thumbprint-" + Guid.NewGuid().ToString("N"));
        using var intermediate = ClientCertFixture.PublicOnly(fixture.Ca.Intermediate);
        using var my = IsolatedUserStore.Add("My", leaf);
        using var ca = IsolatedUserStore.Add("CA", intermediate);

        var report = await SourceTestHost.LoadAsync(o =>
        {
            o.Certificate.Store = "My";
            o.Certificate.Location = StoreLocation.CurrentUser;
            o.Certificate.Thumbprint = leaf.Thumbprint.ToLowerInvariant();
        });

        report.Thumbprint.Should().Be(leaf.Thumbprint);
        report.Intermediates.Should().Equal(fixture.Ca.Intermediate.Subject);
        report.Source.Should().Contain(@"CurrentUser\My");
    }

    [Fact]
    public void IsolatedUserStore_KeepsStoreFilesUnderTheTemporaryHome()
    {
        if (!OperatingSystem.IsLinux())
        {
            // Only Linux keeps .NET user stores under HOME; elsewhere the tests rely on removing what they add.
            return;
        }

        using var leaf = fixture.Ca.IssueClientCertificate("CN=isolation-" + Guid.NewGuid().ToString("N"));
        using (IsolatedUserStore.Add("My", leaf))
        {
            Directory.EnumerateFiles(IsolatedUserStore.StoreFolder("My")).Should().Contain(f => Path.GetFileName(f).StartsWith(leaf.Thumbprint, StringComparison.OrdinalIgnoreCase));
        }

        Directory.EnumerateFiles(IsolatedUserStore.StoreFolder("My")).Should().NotContain(f => Path.GetFileName(f).StartsWith(leaf.Thumbprint, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task StoreSource_BySubject_ChoosesTheValidClientCertificateThatExpiresLast()
    {
        var tag = Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        using var expired = fixture.Ca.IssueClientCertificate($"CN=subj-{tag}, OU=expired", o => { o.NotBefore = now.AddDays(-60); o.NotAfter = now.AddDays(-1); });
        using var notYetValid = fixture.Ca.IssueClientCertificate($"CN=subj-{tag}, OU=future", o => { o.NotBefore = now.AddDays(1); o.NotAfter = now.AddDays(400); });
        using var serverOnly = fixture.Ca.IssueClientCertificate($"CN=subj-{tag}, OU=server", o => { o.NotAfter = now.AddDays(300); o.EnhancedKeyUsages = [TestCertificateAuthority.ServerAuthenticationOid]; });
        using var shortLived = fixture.Ca.IssueClientCertificate($"CN=subj-{tag}, OU=short", o => o.NotAfter = now.AddDays(10));
        using var longLived = fixture.Ca.IssueClientCertificate($"CN=subj-{tag}, OU=long", o => o.NotAfter = now.AddDays(200));
        using var noKey = ClientCertFixture.PublicOnly(fixture.Ca.IssueClientCertificate($"CN=subj-{tag}, OU=nokey", o => o.NotAfter = now.AddDays(500)));
        using var my = IsolatedUserStore.Add("My", expired, notYetValid, serverOnly, shortLived, longLived, noKey);

        var report = await SourceTestHost.LoadAsync(o => o.Certificate.Subject = $"subj-{tag}");

        report.Thumbprint.Should().Be(longLived.Thumbprint);
        var chosen = report.Logs.Should().ContainSingle(m => m.Contains("chose the certificate")).Subject;
        chosen.Should().Contain(longLived.Thumbprint).And.Contain("6 candidate(s)").And.Contain("expired").And.Contain("no private key")
            .And.Contain("not valid before").And.Contain("does not allow client authentication");
    }

    [Fact]
    public async Task StoreSource_SubjectMatchingOnlyUnusableCertificates_FailsListingWhyEachWasRejected()
    {
        var tag = Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        using var expired = fixture.Ca.IssueClientCertificate($"CN=bad-{tag}, OU=expired", o => { o.NotBefore = now.AddDays(-60); o.NotAfter = now.AddDays(-1); });
        using var noKey = ClientCertFixture.PublicOnly(fixture.Ca.IssueClientCertificate($"CN=bad-{tag}, OU=nokey"));
        using var my = IsolatedUserStore.Add("My", expired, noKey);

        var ex = await SourceTestHost.FailAsync(o => o.Certificate.Subject = $"bad-{tag}");

        ex.Reason.Should().Be(ClientCertificateFailureReason.CertificateNotFound);
        ex.Message.Should().Contain("2 certificate(s) matched").And.Contain("OU=expired").And.Contain("expired on")
            .And.Contain("OU=nokey").And.Contain("no private key").And.Contain("Certificate:Subject");
        SourceTestHost.AssertNamesClientAndSource(ex, @"CurrentUser\My");
    }

    [Fact]
    public async Task StoreSource_SubjectMatchingNothing_FailsAsCertificateNotFound()
    {
        // Something unrelated in the store, so that the store exists (a fresh HOME has no My store at all).
        using var unrelated = fixture.Ca.IssueClientCertificate("CN=unrelated-" + Guid.NewGuid().ToString("N"));
        using var my = IsolatedUserStore.Add("My", unrelated);

        var ex = await SourceTestHost.FailAsync(o => o.Certificate.Subject = "nothing-has-this-" + Guid.NewGuid().ToString("N"));

        ex.Reason.Should().Be(ClientCertificateFailureReason.CertificateNotFound);
        ex.Message.Should().Contain("nothing matched");
        SourceTestHost.AssertNamesClientAndSource(ex, @"CurrentUser\My");
    }

    [Fact]
    public async Task StoreSource_ThumbprintNotInStore_FailsAsCertificateNotFound()
    {
        var ex = await SourceTestHost.FailAsync(o =>
        {
            o.Certificate.Store = "My";
            o.Certificate.Thumbprint = new string('A', 40);
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.CertificateNotFound);
        SourceTestHost.AssertNamesClientAndSource(ex, new string('A', 40));
    }

    [Theory]
    [InlineData("ABC123")]
    [InlineData("ZZ3456789012345678901234567890123456789Z")]
    public async Task StoreSource_MalformedThumbprint_FailsAsInvalidConfiguration(string thumbprint)
    {
        var ex = await SourceTestHost.FailAsync(o =>
        {
            o.Certificate.Store = "My";
            o.Certificate.Thumbprint = thumbprint;
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should().Contain("Certificate:Thumbprint").And.Contain("hexadecimal");
        ex.ClientName.Should().Be(SourceTestHost.Client);
    }

    [Fact]
    public async Task StoreSource_StoreThatDoesNotExist_FailsAsCertificateNotFound()
    {
        var ex = await SourceTestHost.FailAsync(o =>
        {
            o.Certificate.Store = "NoSuchStore" + Guid.NewGuid().ToString("N")[..8];
            o.Certificate.Subject = "anything";
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.CertificateNotFound);
        ex.Message.Should().Contain("does not exist").And.Contain("Certificate:Store");
        SourceTestHost.AssertNamesClientAndSource(ex, "NoSuchStore");
    }

    [Fact]
    public async Task StoreSource_NoThumbprintNorSubject_FailsAsInvalidConfiguration()
    {
        var ex = await SourceTestHost.FailAsync(o => o.Certificate.Store = "My");

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should().Contain("Certificate:Thumbprint").And.Contain("Certificate:Subject");
    }

    [Fact]
    public async Task StoreSource_ThumbprintAndSubject_FailsAsInvalidConfiguration()
    {
        var ex = await SourceTestHost.FailAsync(o =>
        {
            o.Certificate.Subject = "x";
            o.Certificate.Thumbprint = new string('A', 40);
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should().Contain("both");
    }
}
