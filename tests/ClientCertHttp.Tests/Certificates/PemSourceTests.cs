using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;
using ClientCertHttp.Testing;

namespace ClientCertHttp.Tests.Certificates;

public sealed class PemSourceTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    private const string Password = ClientCertFixture.Password;

    public static TheoryData<TestKeyAlgorithm, TestPrivateKeyFormat> KeyFormats => new()
    {
        { TestKeyAlgorithm.Rsa, TestPrivateKeyFormat.Pkcs8 },
        { TestKeyAlgorithm.Rsa, TestPrivateKeyFormat.EncryptedPkcs8 },
        { TestKeyAlgorithm.Rsa, TestPrivateKeyFormat.Pkcs1 },
        { TestKeyAlgorithm.Ecdsa, TestPrivateKeyFormat.Pkcs8 },
        { TestKeyAlgorithm.Ecdsa, TestPrivateKeyFormat.EncryptedPkcs8 },
        { TestKeyAlgorithm.Ecdsa, TestPrivateKeyFormat.Sec1 },
    };

    [Theory]
    [MemberData(nameof(KeyFormats))]
    public async Task PemSource_EveryKeyFormat_LoadsLeafWithKeyAndIntermediate(TestKeyAlgorithm algorithm, TestPrivateKeyFormat format)
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=pem-client", o => o.KeyAlgorithm = algorithm);
        var (certPath, keyPath) = WritePem(leaf, format, includeIntermediate: true);

        var report = await LoadPemAsync(certPath, keyPath, format == TestPrivateKeyFormat.EncryptedPkcs8 ? Password : null);

        report.Thumbprint.Should().Be(leaf.Thumbprint);
        report.Intermediates.Should().Equal(fixture.Ca.Intermediate.Subject);
        report.Source.Should().Contain(certPath).And.Contain(keyPath);
    }

    [Fact]
    public async Task PemSource_ChainPath_AddsTheIntermediates()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=pem-chain");
        var (certPath, keyPath) = WritePem(leaf, TestPrivateKeyFormat.Pkcs8, includeIntermediate: false);
        var chainPath = TestCertificateAuthority.WriteCertificatePem(fixture.Temp.Combine(Guid.NewGuid() + "-chain.pem"), fixture.Ca.Intermediate);

        var report = await LoadPemAsync(certPath, keyPath, password: null, c => c.ChainPath = chainPath);

        report.Intermediates.Should().Equal(fixture.Ca.Intermediate.Subject);
    }

    [Fact]
    public async Task PemSource_BundleWithTheIntermediateFirst_PairsTheKeyWithTheRightCertificate()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=pem-second", o => o.KeyAlgorithm = TestKeyAlgorithm.Rsa);
        using var publicLeaf = ClientCertFixture.PublicOnly(leaf);
        var id = Guid.NewGuid().ToString("N");
        var certPath = TestCertificateAuthority.WriteCertificatePem(fixture.Temp.Combine(id + ".crt"), fixture.Ca.Intermediate, publicLeaf);
        var keyPath = fixture.Temp.Combine(id + ".key");
        await File.WriteAllTextAsync(keyPath, TestCertificateAuthority.ExportPrivateKeyPem(leaf, TestPrivateKeyFormat.EncryptedPkcs8, Password));

        var report = await LoadPemAsync(certPath, keyPath, Password);

        report.Thumbprint.Should().Be(leaf.Thumbprint);
        report.Intermediates.Should().Equal(fixture.Ca.Intermediate.Subject);
    }

    [Fact]
    public async Task PemSource_MissingKeyFile_FailsAsFileNotFound()
    {
        var (certPath, _) = WriteNewPem(TestPrivateKeyFormat.Pkcs8);
        var keyPath = fixture.Temp.Combine("missing.key");

        var ex = await FailPemAsync(certPath, keyPath);

        ex.Reason.Should().Be(ClientCertificateFailureReason.FileNotFound);
        SourceTestHost.AssertNamesClientAndSource(ex, keyPath);
        ex.Message.Should().Contain("Certificate:KeyPath");
    }

    [Fact]
    public async Task PemSource_MissingCertificateFile_FailsAsFileNotFound()
    {
        var (_, keyPath) = WriteNewPem(TestPrivateKeyFormat.Pkcs8);
        var certPath = fixture.Temp.Combine("missing.crt");

        var ex = await FailPemAsync(certPath, keyPath);

        ex.Reason.Should().Be(ClientCertificateFailureReason.FileNotFound);
        SourceTestHost.AssertNamesClientAndSource(ex, certPath);
    }

    [Fact]
    public async Task PemSource_WrongPassword_FailsAsWrongPasswordWithoutLeakingIt()
    {
        var (certPath, keyPath) = WriteNewPem(TestPrivateKeyFormat.EncryptedPkcs8);

        var ex = await FailPemAsync(certPath, keyPath, "not-the-key-password");

        ex.Reason.Should().Be(ClientCertificateFailureReason.WrongPassword);
        SourceTestHost.AssertNamesClientAndSource(ex, keyPath, "not-the-key-password", Password);
        ex.Message.Should().Contain("Certificate:Password");
    }

    [Fact]
    public async Task PemSource_EncryptedKeyWithoutPassword_FailsAsWrongPassword()
    {
        var (certPath, keyPath) = WriteNewPem(TestPrivateKeyFormat.EncryptedPkcs8);

        var ex = await FailPemAsync(certPath, keyPath);

        ex.Reason.Should().Be(ClientCertificateFailureReason.WrongPassword);
        ex.Message.Should().Contain("no password is configured");
        SourceTestHost.AssertNamesClientAndSource(ex, keyPath, Password);
    }

    [Fact]
    public async Task PemSource_KeyOfAnotherCertificate_FailsAsKeyDoesNotMatch()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=owner");
        using var other = fixture.Ca.IssueClientCertificate("CN=other");
        var (certPath, _) = WritePem(leaf, TestPrivateKeyFormat.Pkcs8);
        var (_, otherKeyPath) = WritePem(other, TestPrivateKeyFormat.Pkcs8);

        var ex = await FailPemAsync(certPath, otherKeyPath);

        ex.Reason.Should().Be(ClientCertificateFailureReason.KeyDoesNotMatchCertificate);
        SourceTestHost.AssertNamesClientAndSource(ex, otherKeyPath);
        ex.Message.Should().Contain("CN=owner");
    }

    [Fact]
    public async Task PemSource_EncryptedRsaKeyForEcdsaCertificate_FailsAsKeyDoesNotMatch()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=ec-owner", o => o.KeyAlgorithm = TestKeyAlgorithm.Ecdsa);
        using var rsa = fixture.Ca.IssueClientCertificate("CN=rsa-other", o => o.KeyAlgorithm = TestKeyAlgorithm.Rsa);
        var (certPath, _) = WritePem(leaf, TestPrivateKeyFormat.Pkcs8);
        var (_, rsaKeyPath) = WritePem(rsa, TestPrivateKeyFormat.EncryptedPkcs8);

        var ex = await FailPemAsync(certPath, rsaKeyPath, Password);

        ex.Reason.Should().Be(ClientCertificateFailureReason.KeyDoesNotMatchCertificate);
        ex.Message.Should().Contain("RSA key");
        SourceTestHost.AssertNamesClientAndSource(ex, rsaKeyPath, Password);
    }

    [Fact]
    public async Task PemSource_Pkcs1KeyForEcdsaCertificate_FailsAsKeyDoesNotMatch()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=ec-owner", o => o.KeyAlgorithm = TestKeyAlgorithm.Ecdsa);
        using var rsa = fixture.Ca.IssueClientCertificate("CN=rsa-other", o => o.KeyAlgorithm = TestKeyAlgorithm.Rsa);
        var (certPath, _) = WritePem(leaf, TestPrivateKeyFormat.Pkcs8);
        var (_, rsaKeyPath) = WritePem(rsa, TestPrivateKeyFormat.Pkcs1);

        var ex = await FailPemAsync(certPath, rsaKeyPath);

        ex.Reason.Should().Be(ClientCertificateFailureReason.KeyDoesNotMatchCertificate);
        SourceTestHost.AssertNamesClientAndSource(ex, rsaKeyPath);
    }

    [Fact]
    public async Task PemSource_LegacyOpenSslEncryptedKey_FailsWithConversionCommand()
    {
        using var leaf = fixture.Ca.IssueClientCertificate("CN=legacy", o => o.KeyAlgorithm = TestKeyAlgorithm.Rsa);
        var (certPath, _) = WritePem(leaf, TestPrivateKeyFormat.Pkcs8);
        var keyPath = fixture.Temp.Combine(Guid.NewGuid() + "-legacy.key");
        await File.WriteAllTextAsync(keyPath, string.Join('\n',
            "-----BEGIN RSA PRIVATE KEY-----",
            "Proc-Type: 4,ENCRYPTED",
            "DEK-Info: AES-256-CBC,0123456789ABCDEF0123456789ABCDEF",
            string.Empty,
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(96)),
            "-----END RSA PRIVATE KEY-----",
            string.Empty));

        var ex = await FailPemAsync(certPath, keyPath, Password);

        ex.Reason.Should().Be(ClientCertificateFailureReason.UnsupportedKeyFormat);
        ex.Message.Should().Contain("Proc-Type: 4,ENCRYPTED").And.Contain("openssl pkcs8 -topk8");
        SourceTestHost.AssertNamesClientAndSource(ex, keyPath, Password);
    }

    [Fact]
    public async Task PemSource_OpenSshKey_FailsAsUnsupportedKeyFormat()
    {
        var (certPath, _) = WriteNewPem(TestPrivateKeyFormat.Pkcs8);
        var keyPath = fixture.Temp.Combine(Guid.NewGuid() + "-openssh.key");
        await File.WriteAllTextAsync(keyPath, PemEncoding.WriteString("OPENSSH PRIVATE KEY", RandomNumberGenerator.GetBytes(64)));

        var ex = await FailPemAsync(certPath, keyPath);

        ex.Reason.Should().Be(ClientCertificateFailureReason.UnsupportedKeyFormat);
        ex.Message.Should().Contain("OPENSSH PRIVATE KEY");
        SourceTestHost.AssertNamesClientAndSource(ex, keyPath);
    }

    [Fact]
    public async Task PemSource_CertificatePathHoldsOnlyAKey_FailsAsInvalidFormat()
    {
        var (_, keyPath) = WriteNewPem(TestPrivateKeyFormat.Pkcs8);

        var ex = await FailPemAsync(keyPath, keyPath);

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidFormat);
        ex.Message.Should().Contain("no PEM certificate");
        SourceTestHost.AssertNamesClientAndSource(ex, keyPath);
    }

    [Fact]
    public async Task PemSource_KeyPathHoldsNoKey_FailsAsNoPrivateKey()
    {
        var (certPath, _) = WriteNewPem(TestPrivateKeyFormat.Pkcs8);

        var ex = await FailPemAsync(certPath, certPath);

        ex.Reason.Should().Be(ClientCertificateFailureReason.NoPrivateKey);
        SourceTestHost.AssertNamesClientAndSource(ex, certPath);
    }

    [Fact]
    public async Task PemSource_IterationCountAboveLimit_FailsBeforeDecrypting()
    {
        var (certPath, keyPath) = WriteNewPem(TestPrivateKeyFormat.EncryptedPkcs8);

        // A wrong password too: LoaderLimitExceeded rather than WrongPassword shows the count was refused before any
        // decryption was attempted.
        var ex = await FailPemAsync(certPath, keyPath, "wrong", c => c.KeyDerivationIterationLimit = 50_000);

        ex.Reason.Should().Be(ClientCertificateFailureReason.LoaderLimitExceeded);
        ex.Message.Should().Contain("100000").And.Contain("50000").And.Contain("Certificate:KeyDerivationIterationLimit");
        SourceTestHost.AssertNamesClientAndSource(ex, keyPath, "wrong-password-marker");
    }

    [Fact]
    public async Task PemSource_HostileIterationCount_IsRejectedWithoutDerivingTheKey()
    {
        var (certPath, _) = WriteNewPem(TestPrivateKeyFormat.Pkcs8);
        var keyPath = fixture.Temp.Combine(Guid.NewGuid() + "-hostile.key");

        // int.MaxValue PBKDF2 iterations would take hours; the test finishing at all shows they were never run.
        await File.WriteAllTextAsync(keyPath, PemEncoding.WriteString("ENCRYPTED PRIVATE KEY", EncryptedKeyInfo(int.MaxValue)));

        var ex = await FailPemAsync(certPath, keyPath, Password);

        ex.Reason.Should().Be(ClientCertificateFailureReason.LoaderLimitExceeded);
        ex.Message.Should().Contain(int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture));
        SourceTestHost.AssertNamesClientAndSource(ex, keyPath, Password);
    }

    [Fact]
    public async Task PemSource_BundleWithTooManyCertificates_FailsAsLoaderLimitExceeded()
    {
        var (certPath, keyPath) = WriteNewPem(TestPrivateKeyFormat.Pkcs8);
        var chainPath = fixture.Temp.Combine(Guid.NewGuid() + "-huge-chain.pem");
        await File.WriteAllTextAsync(chainPath, string.Concat(Enumerable.Repeat(fixture.Ca.Intermediate.ExportCertificatePem() + "\n", 40)));

        var ex = await FailPemAsync(certPath, keyPath, password: null, c => c.ChainPath = chainPath);

        ex.Reason.Should().Be(ClientCertificateFailureReason.LoaderLimitExceeded);
        SourceTestHost.AssertNamesClientAndSource(ex, chainPath);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(ClientCertificateOptions.MaxKeyDerivationIterationLimit + 1)]
    public async Task PemSource_IterationLimitOutOfRange_FailsAsInvalidConfiguration(int limit)
    {
        var (certPath, keyPath) = WriteNewPem(TestPrivateKeyFormat.Pkcs8);

        var ex = await FailPemAsync(certPath, keyPath, password: null, c => c.KeyDerivationIterationLimit = limit);

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should().Contain("Certificate:KeyDerivationIterationLimit");
    }

    [Fact]
    public async Task PemSource_ChainPathWithoutKeyPath_FailsAsInvalidConfiguration()
    {
        var pfx = fixture.WriteClientPfx();

        var ex = await SourceTestHost.FailAsync(o =>
        {
            o.Certificate.Path = pfx;
            o.Certificate.Password = Password;
            o.Certificate.ChainPath = pfx;
        });

        ex.Reason.Should().Be(ClientCertificateFailureReason.InvalidConfiguration);
        ex.Message.Should().Contain("Certificate:ChainPath");
    }

    private static Task<LoadedReport> LoadPemAsync(string certPath, string keyPath, string? password = null, Action<ClientCertificateOptions>? configure = null) =>
        SourceTestHost.LoadAsync(o => ConfigurePem(o.Certificate, certPath, keyPath, password, configure));

    private static Task<ClientCertificateException> FailPemAsync(string certPath, string keyPath, string? password = null, Action<ClientCertificateOptions>? configure = null) =>
        SourceTestHost.FailAsync(o => ConfigurePem(o.Certificate, certPath, keyPath, password, configure));

    private static void ConfigurePem(ClientCertificateOptions certificate, string certPath, string keyPath, string? password, Action<ClientCertificateOptions>? configure)
    {
        certificate.Path = certPath;
        certificate.KeyPath = keyPath;
        certificate.Password = password;
        configure?.Invoke(certificate);
    }

    /// <summary>An EncryptedPrivateKeyInfo with PBES2/PBKDF2 parameters and random ciphertext.</summary>
    private static byte[] EncryptedKeyInfo(int iterations)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier("1.2.840.113549.1.5.13");
                using (writer.PushSequence())
                {
                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier("1.2.840.113549.1.5.12");
                        using (writer.PushSequence())
                        {
                            writer.WriteOctetString(RandomNumberGenerator.GetBytes(16));
                            writer.WriteInteger(iterations);
                        }
                    }

                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier("2.16.840.1.101.3.4.1.42");
                        writer.WriteOctetString(RandomNumberGenerator.GetBytes(16));
                    }
                }
            }

            writer.WriteOctetString(RandomNumberGenerator.GetBytes(144));
        }

        return writer.Encode();
    }

    /// <summary>Issues a fresh client certificate and writes it as <see cref="WritePem"/> does.</summary>
    private (string CertPath, string KeyPath) WriteNewPem(TestPrivateKeyFormat format)
    {
        using var leaf = fixture.Ca.IssueClientCertificate();
        return WritePem(leaf, format);
    }

    private (string CertPath, string KeyPath) WritePem(X509Certificate2 leaf, TestPrivateKeyFormat format, bool includeIntermediate = true)
    {
        var id = Guid.NewGuid().ToString("N");
        using var publicLeaf = ClientCertFixture.PublicOnly(leaf);
        var certPath = includeIntermediate
            ? TestCertificateAuthority.WriteCertificatePem(fixture.Temp.Combine(id + ".crt"), publicLeaf, fixture.Ca.Intermediate)
            : TestCertificateAuthority.WriteCertificatePem(fixture.Temp.Combine(id + ".crt"), publicLeaf);
        var keyPath = fixture.Temp.Combine(id + ".key");
        File.WriteAllText(keyPath, TestCertificateAuthority.ExportPrivateKeyPem(leaf, format, format == TestPrivateKeyFormat.EncryptedPkcs8 ? Password : null));
        return (certPath, keyPath);
    }
}
