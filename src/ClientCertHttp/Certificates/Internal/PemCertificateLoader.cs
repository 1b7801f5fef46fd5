using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Diagnostics;

namespace ClientCertHttp.Certificates;

/// <summary>
/// Loads a client certificate from PEM text: certificates (the client certificate first, then intermediates) and a
/// private key in PKCS#8 (encrypted or not), PKCS#1 (RSA) or SEC1 (EC) form. Encrypted keys have their PBKDF2
/// iteration count checked against <see cref="ClientCertificateOptions.KeyDerivationIterationLimit"/> before any
/// decryption, so a hostile key cannot stall startup.
/// </summary>
internal static class PemCertificateLoader
{
    // More certificates than any real chain has; bounds the work a hostile bundle can cause.
    internal const int MaxCertificates = 32;

    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";
    private const string Ed25519Oid = "1.3.101.112";
    private const string Pbes2Oid = "1.2.840.113549.1.5.13";
    private const string Pbkdf2Oid = "1.2.840.113549.1.5.12";
    private const string ConvertLegacyKey = "openssl pkcs8 -topk8 -v2 aes-256-cbc -in legacy.key -out key.pem";

    /// <summary>Describes one piece of PEM text for messages: where it came from and which setting names it.</summary>
    internal readonly record struct PemInput(string Text, string Where, string SourceId);

    public static LoadedClientCertificate LoadFiles(CertificateLoadContext context)
    {
        var options = context.Options;
        var certPath = CertificateFile.ResolvePath(options.Path!);
        var keyPath = CertificateFile.ResolvePath(options.KeyPath!);
        var certificate = ReadText(context, context.Key("Path"), certPath);
        var key = ReadText(context, context.Key("KeyPath"), keyPath);
        PemInput? chain = null;
        if (!string.IsNullOrWhiteSpace(options.ChainPath))
        {
            var chainPath = CertificateFile.ResolvePath(options.ChainPath);
            chain = ReadText(context, context.Key("ChainPath"), chainPath);
        }

        return Load(context, certificate, key, chain, $"PEM files '{certPath}' + '{keyPath}'");
    }

    public static PemInput ReadText(CertificateLoadContext context, string settingKey, string fullPath)
    {
        var bytes = CertificateFile.ReadAllBytes(context.Names, settingKey, fullPath);
        return new PemInput(System.Text.Encoding.UTF8.GetString(bytes), $"the file '{fullPath}' ({settingKey})", fullPath);
    }

    /// <param name="context">The client being loaded.</param>
    /// <param name="certificateInput">The certificates: the client certificate and, optionally, its intermediates.</param>
    /// <param name="keyInput">The private key (may be the same text as <paramref name="certificateInput"/>).</param>
    /// <param name="chainInput">More intermediates, or <see langword="null"/>.</param>
    /// <param name="source">The source description for logs and <see cref="LoadedClientCertificate.Source"/>.</param>
    /// <param name="firstCertificateIsLeaf">
    /// Whether the key must belong to the first certificate (a format that says so, such as a credential bundle);
    /// otherwise any certificate of <paramref name="certificateInput"/> may be the one the key belongs to.
    /// </param>
    public static LoadedClientCertificate Load(CertificateLoadContext context, PemInput certificateInput, PemInput keyInput, PemInput? chainInput, string source, bool firstCertificateIsLeaf = false)
    {
        var owned = new X509Certificate2Collection();
        try
        {
            ReadCertificates(context, certificateInput, owned);
            if (owned.Count == 0)
            {
                throw new ClientCertificateException(
                    context.ClientName,
                    ClientCertificateFailureReason.InvalidFormat,
                    $"{context.Prefix}: {certificateInput.Where} holds no PEM certificate ('-----BEGIN CERTIFICATE-----'). Point the setting at the certificate, not at the key or a CSR.",
                    certificateInput.SourceId);
            }

            var leafCount = firstCertificateIsLeaf ? 1 : owned.Count;
            if (chainInput is { } chain)
            {
                ReadCertificates(context, chain, owned);
            }

            var leaf = AttachKey(context, owned, leafCount, certificateInput, keyInput);
            var result = LoadedClientCertificate.Create(context, source, leaf, owned);
            owned = null!;
            return result;
        }
        finally
        {
            LoadedClientCertificate.DisposeAll(owned);
        }
    }

    /// <summary>The most PEM sections one input may have: the certificate, its chain, a key, with room to spare.</summary>
    internal const int MaxPemSections = 64;

    /// <summary>Refuses PEM text whose parse would not be linear in its size (see <see cref="PemScan"/>), before parsing it.</summary>
    internal static void CheckScan(CertificateLoadContext context, PemInput input)
    {
        if (PemScan.Check(input.Text, MaxPemSections) is { } problem)
        {
            throw new ClientCertificateException(
                context.ClientName,
                ClientCertificateFailureReason.InvalidFormat,
                $"{context.Prefix}: {input.Where} is not PEM that can be read: {problem}. A certificate file holds '-----BEGIN CERTIFICATE-----' … '-----END CERTIFICATE-----' sections, a key file one key section.",
                input.SourceId);
        }
    }

    private static void ReadCertificates(CertificateLoadContext context, PemInput input, X509Certificate2Collection into)
    {
        CheckScan(context, input);
        var text = input.Text.AsSpan();
        while (PemEncoding.TryFind(text, out var fields))
        {
            if (text[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                if (into.Count >= MaxCertificates)
                {
                    throw new ClientCertificateException(
                        context.ClientName,
                        ClientCertificateFailureReason.LoaderLimitExceeded,
                        $"{context.Prefix}: {input.Where} holds more than {MaxCertificates} certificates. Keep only the client certificate and its intermediates.",
                        input.SourceId);
                }

                try
                {
                    into.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(text[fields.Base64Data].ToString())));
                }
                catch (CryptographicException ex)
                {
                    throw new ClientCertificateException(
                        context.ClientName,
                        ClientCertificateFailureReason.InvalidFormat,
                        $"{context.Prefix}: certificate {into.Count + 1} in {input.Where} is corrupt ({ex.Message}). Export it again.",
                        input.SourceId);
                }
            }

            text = text[fields.Location.End..];
        }
    }

    /// <summary>
    /// Reads the key and pairs it with the certificate it belongs to, among the first <paramref name="leafCount"/>
    /// certificates (those of the certificate input, usually the leaf first; a bundle that starts with an
    /// intermediate still works). The paired certificate replaces its public-only copy in <paramref name="owned"/>.
    /// </summary>
    private static X509Certificate2 AttachKey(CertificateLoadContext context, X509Certificate2Collection owned, int leafCount, PemInput certificateInput, PemInput keyInput)
    {
        var first = owned[0];
        var preferRsa = first.GetKeyAlgorithm() == RsaOid;
        using var key = ReadKey(context, keyInput, preferRsa);
        var keyIsRsa = key is RSA;

        for (var i = 0; i < leafCount; i++)
        {
            var candidate = owned[i];
            if ((candidate.GetKeyAlgorithm() == RsaOid) != keyIsRsa || candidate.GetKeyAlgorithm() is not RsaOid and not EcOid)
            {
                continue;
            }

            X509Certificate2 withKey;
            try
            {
                withKey = keyIsRsa ? candidate.CopyWithPrivateKey((RSA)key) : candidate.CopyWithPrivateKey((ECDsa)key);
            }
            catch (ArgumentException)
            {
                // The public keys differ: not this certificate's key.
                continue;
            }

            var leaf = PlatformKeyStorage(withKey);
            owned[i] = leaf;
            candidate.Dispose();
            return leaf;
        }

        var keyKind = keyIsRsa ? "RSA" : "EC";
        var why = leafCount == 1
            ? (first.GetKeyAlgorithm() == (keyIsRsa ? RsaOid : EcOid)
                ? "it belongs to another certificate"
                : $"it is an {keyKind} key but the certificate has an {KeyKind(first.GetKeyAlgorithm())} key")
            : $"it is an {keyKind} key that matches none of the {leafCount} certificates in {certificateInput.Where}";
        throw KeyMismatch(context, first, keyInput, why);
    }

    private static X509Certificate2 PlatformKeyStorage(X509Certificate2 withKey)
    {
        if (!OperatingSystem.IsWindows())
        {
            // Linux and macOS sign the handshake with the in-memory key; nothing is written to disk.
            return withKey;
        }

        // SChannel cannot use an ephemeral CNG key for TLS client authentication (Kestrel does the same round trip).
        // Not exercised by this repository's Linux tests.
        using (withKey)
        {
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
        }
    }

    private static AsymmetricAlgorithm ReadKey(CertificateLoadContext context, PemInput input, bool preferRsa)
    {
        CheckScan(context, input);
        var text = input.Text.AsSpan();
        if (text.Contains("Proc-Type:", StringComparison.OrdinalIgnoreCase) && text.Contains("ENCRYPTED", StringComparison.Ordinal))
        {
            throw new ClientCertificateException(
                context.ClientName,
                ClientCertificateFailureReason.UnsupportedKeyFormat,
                $"{context.Prefix}: the private key in {input.Where} is encrypted in the legacy OpenSSL format ('Proc-Type: 4,ENCRYPTED'), which .NET cannot read. Convert it to encrypted PKCS#8 with '{ConvertLegacyKey}' (it asks for the old and the new password) and set {context.Key("Password")} to the new password.",
                input.SourceId);
        }

        while (PemEncoding.TryFind(text, out var fields))
        {
            var label = text[fields.Label].ToString();
            switch (label)
            {
                case "PRIVATE KEY" or "RSA PRIVATE KEY" or "EC PRIVATE KEY":
                    return ImportPlain(context, input, label, Convert.FromBase64String(text[fields.Base64Data].ToString()));
                case "ENCRYPTED PRIVATE KEY":
                    return ImportEncrypted(context, input, preferRsa, Convert.FromBase64String(text[fields.Base64Data].ToString()));
                default:
                    if (label.Contains("PRIVATE KEY", StringComparison.Ordinal))
                    {
                        throw new ClientCertificateException(
                            context.ClientName,
                            ClientCertificateFailureReason.UnsupportedKeyFormat,
                            $"{context.Prefix}: the private key in {input.Where} is a '{label}', which is not supported. Use PKCS#8 ('PRIVATE KEY' or 'ENCRYPTED PRIVATE KEY'), PKCS#1 ('RSA PRIVATE KEY') or SEC1 ('EC PRIVATE KEY'), for example converted with 'openssl pkcs8 -topk8 -nocrypt -in key -out key.pem'.",
                            input.SourceId);
                    }

                    // CERTIFICATE, EC PARAMETERS and the like may share the file with the key.
                    break;
            }

            text = text[fields.Location.End..];
        }

        throw new ClientCertificateException(
            context.ClientName,
            ClientCertificateFailureReason.NoPrivateKey,
            $"{context.Prefix}: {input.Where} holds no PEM private key ('-----BEGIN PRIVATE KEY-----', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY' or 'EC PRIVATE KEY'), so the certificate cannot identify the client. Point {context.Key("KeyPath")} at the key that belongs to the certificate.",
            input.SourceId);
    }

    private static AsymmetricAlgorithm ImportPlain(CertificateLoadContext context, PemInput input, string label, byte[] der)
    {
        AsymmetricAlgorithm? key = null;
        try
        {
            switch (label)
            {
                case "RSA PRIVATE KEY":
                    var rsa = RSA.Create();
                    key = rsa;
                    rsa.ImportRSAPrivateKey(der, out _);
                    break;
                case "EC PRIVATE KEY":
                    var ec = ECDsa.Create();
                    key = ec;
                    ec.ImportECPrivateKey(der, out _);
                    break;
                default:
                    var algorithm = ReadPkcs8Algorithm(der);
                    key = algorithm switch
                    {
                        RsaOid => RSA.Create(),
                        EcOid => ECDsa.Create(),
                        _ => throw new ClientCertificateException(
                            context.ClientName,
                            ClientCertificateFailureReason.UnsupportedKeyFormat,
                            $"{context.Prefix}: the private key in {input.Where} is {(algorithm == Ed25519Oid ? "an Ed25519" : "a " + algorithm)} key; only RSA and EC (ECDSA) keys are supported (for a Kubernetes podCertificate projection, choose keyType ECDSAP256, ECDSAP384, ECDSAP521, RSA3072 or RSA4096).",
                            input.SourceId),
                    };
                    key.ImportPkcs8PrivateKey(der, out _);
                    break;
            }

            var result = key;
            key = null;
            return result;
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException)
        {
            throw new ClientCertificateException(
                context.ClientName,
                ClientCertificateFailureReason.InvalidFormat,
                $"{context.Prefix}: the '{label}' private key in {input.Where} is corrupt and cannot be read. Export the key again.",
                input.SourceId);
        }
        finally
        {
            key?.Dispose();
        }
    }

    private static AsymmetricAlgorithm ImportEncrypted(CertificateLoadContext context, PemInput input, bool preferRsa, byte[] der)
    {
        var limit = context.Options.KeyDerivationIterationLimit;
        var iterations = ReadIterationCount(context, input, der);
        if (iterations > limit)
        {
            throw new ClientCertificateException(
                context.ClientName,
                ClientCertificateFailureReason.LoaderLimitExceeded,
                $"{context.Prefix}: the encrypted private key in {input.Where} asks for {iterations} PBKDF2 iterations, more than the limit of {limit} ({context.Key("KeyDerivationIterationLimit")}); it was not decrypted. Re-encrypt it with a standard count (for example 'openssl pkcs8 -topk8 -v2 aes-256-cbc -iter 100000 -in key.pem -out key-new.pem'), or raise the limit if the key is trusted.",
                input.SourceId);
        }

        var password = context.Password;
        if (password is null)
        {
            throw new ClientCertificateException(
                context.ClientName,
                ClientCertificateFailureReason.WrongPassword,
                $"{context.Prefix}: the private key in {input.Where} is encrypted but no password is configured. Set {context.Key("Password")} or {context.Key("PasswordFile")}.",
                input.SourceId);
        }

        // The key type is only known after decryption: the certificate's type is tried first, the other one second
        // (one more key derivation, bounded by the same limit) so that a wrong password and a key of the other type
        // get different messages.
        foreach (var rsa in new[] { preferRsa, !preferRsa })
        {
            AsymmetricAlgorithm key = rsa ? RSA.Create() : ECDsa.Create();
            try
            {
                key.ImportEncryptedPkcs8PrivateKey(password, der, out _);
                return key;
            }
            catch (CryptographicException)
            {
                key.Dispose();
            }
        }

        throw new ClientCertificateException(
            context.ClientName,
            ClientCertificateFailureReason.WrongPassword,
            $"{context.Prefix}: the encrypted private key in {input.Where} cannot be decrypted: the configured password does not match{ClientCertificateReadiness.PasswordWhitespaceHint(password)} (or the key is corrupt). Check {context.PasswordSetting}.",
            input.SourceId);
    }

    /// <summary>
    /// Reads the iteration count of an EncryptedPrivateKeyInfo (RFC 5208) without decrypting it: PBES2 with PBKDF2
    /// (RFC 8018) or a PBES1 / PKCS#12 PBE scheme, whose parameters are SEQUENCE { salt, iterationCount }.
    /// </summary>
    internal static BigInteger ReadIterationCount(CertificateLoadContext context, PemInput input, byte[] der)
    {
        try
        {
            var info = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
            var algorithm = info.ReadSequence();
            var scheme = algorithm.ReadObjectIdentifier();
            var parameters = algorithm.ReadSequence();
            if (scheme == Pbes2Oid)
            {
                var kdf = parameters.ReadSequence();
                var kdfOid = kdf.ReadObjectIdentifier();
                if (kdfOid != Pbkdf2Oid)
                {
                    throw new ClientCertificateException(
                        context.ClientName,
                        ClientCertificateFailureReason.UnsupportedKeyFormat,
                        $"{context.Prefix}: the private key in {input.Where} is encrypted with the key derivation {kdfOid}, which is not supported (only PBKDF2). Re-encrypt it with 'openssl pkcs8 -topk8 -v2 aes-256-cbc -in key.pem -out key-new.pem'.",
                        input.SourceId);
                }

                var pbkdf2 = kdf.ReadSequence();
                _ = pbkdf2.ReadEncodedValue();
                return pbkdf2.ReadInteger();
            }

            _ = parameters.ReadOctetString();
            return parameters.ReadInteger();
        }
        catch (AsnContentException)
        {
            throw new ClientCertificateException(
                context.ClientName,
                ClientCertificateFailureReason.InvalidFormat,
                $"{context.Prefix}: the encrypted private key in {input.Where} is corrupt (its encryption parameters cannot be read). Export the key again.",
                input.SourceId);
        }
    }

    private static string ReadPkcs8Algorithm(byte[] der)
    {
        var info = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
        _ = info.ReadInteger();
        return info.ReadSequence().ReadObjectIdentifier();
    }

    private static string KeyKind(string oid) => oid switch
    {
        RsaOid => "RSA",
        EcOid => "EC",
        _ => oid,
    };

    private static ClientCertificateException KeyMismatch(CertificateLoadContext context, X509Certificate2? certificate, PemInput input, string why) =>
        new(
            context.ClientName,
            ClientCertificateFailureReason.KeyDoesNotMatchCertificate,
            $"{context.Prefix}: the private key in {input.Where} does not belong to the certificate{(certificate is null ? string.Empty : " " + CertificateFormatting.Describe(certificate))}: {why}. Configure the key that was generated with this certificate.",
            input.SourceId);
}
