using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.DependencyInjection;
using ClientCertHttp.Diagnostics;

namespace ClientCertHttp.Certificates;

/// <summary>
/// Loads a client certificate and its chain from a password-protected PKCS#12 (PFX) file, with the platform's
/// PKCS#12 loader limits, and turns every failure into a typed error that names the client and the file.
/// </summary>
internal static class Pkcs12CertificateLoader
{
    // ERROR_INVALID_PASSWORD: what X509CertificateLoader reports when the PKCS#12 integrity (MAC) check fails.
    private const int InvalidPasswordHResult = unchecked((int)0x80070056);
    private const string PathKey = "Certificate:Path";
    private const string ThumbprintKey = "Certificate:Thumbprint";

    // Linux keeps PKCS#12 keys in memory with EphemeralKeySet, so nothing is written to disk. Windows' TLS stack
    // (SChannel) cannot sign the handshake with an ephemeral key and macOS does not support it, so there the
    // platform default applies and the platform removes the key material when the certificate is disposed.
    private static readonly X509KeyStorageFlags KeyStorageFlags =
        OperatingSystem.IsLinux() ? X509KeyStorageFlags.EphemeralKeySet : X509KeyStorageFlags.DefaultKeySet;

    public static LoadedClientCertificate Load(CertificateLoadContext context)
    {
        var names = context.Names;
        var fullPath = CertificateFile.ResolvePath(context.Options.Path!);
        var pathKey = names[PathKey];
        var bytes = CertificateFile.ReadAllBytes(names, pathKey, fullPath);
        return LoadBytes(context, bytes, $"the file '{fullPath}' ({pathKey})", $"PKCS#12 file '{fullPath}'", fullPath);
    }

    /// <summary>Loads PKCS#12 bytes from a file or an inline value.</summary>
    /// <param name="context">The client being loaded.</param>
    /// <param name="bytes">The PKCS#12 bytes.</param>
    /// <param name="where">Where the bytes came from, for messages: "the file '…' (key)" or "the value of key".</param>
    /// <param name="source">The source description for logs and <see cref="LoadedClientCertificate.Source"/>.</param>
    /// <param name="sourceId">The <see cref="ClientCertificateException.CertificateSource"/> of errors.</param>
    public static LoadedClientCertificate LoadBytes(CertificateLoadContext context, byte[] bytes, string where, string source, string sourceId)
    {
        var names = context.Names;
        var options = context.Options;

        if (DescribeStructuralProblem(bytes) is { } structuralProblem)
        {
            throw new ClientCertificateException(
                names.ClientName,
                ClientCertificateFailureReason.InvalidFormat,
                $"{names.Prefix}: {where} is not a PKCS#12 (PFX) file: {structuralProblem}",
                sourceId);
        }

        X509Certificate2Collection loaded;
        try
        {
            loaded = X509CertificateLoader.LoadPkcs12Collection(bytes, context.Password, KeyStorageFlags, Pkcs12LoaderLimits.Defaults);
        }
        catch (Pkcs12LoadLimitExceededException ex)
        {
            throw new ClientCertificateException(
                names.ClientName,
                ClientCertificateFailureReason.LoaderLimitExceeded,
                $"{names.Prefix}: the PKCS#12 data in {where} exceeds the loader's limits ({ex.Message}). Re-export it with fewer certificates or a standard iteration count (for example 'openssl pkcs12 -export -iter 2048').",
                sourceId);
        }
        catch (CryptographicException ex) when (ex.HResult == InvalidPasswordHResult)
        {
            var passwordState = context.Password is null ? "no password is configured" : "the configured password does not match" + ClientCertificateReadiness.PasswordWhitespaceHint(context.Password);
            throw new ClientCertificateException(
                names.ClientName,
                ClientCertificateFailureReason.WrongPassword,
                $"{names.Prefix}: the PKCS#12 data in {where} is well formed but its integrity check failed: {passwordState}. Check {context.PasswordSetting}; if the password is right, the data was altered after export and must be exported again.",
                sourceId);
        }
        catch (CryptographicException ex)
        {
            throw new ClientCertificateException(
                names.ClientName,
                ClientCertificateFailureReason.InvalidFormat,
                $"{names.Prefix}: the PKCS#12 data in {where} is corrupt and cannot be loaded ({ex.Message}). Export the certificate again.",
                sourceId);
        }

        X509Certificate2 certificate;
        try
        {
            certificate = ChooseCertificate(names, options, where, sourceId, loaded);
        }
        catch
        {
            LoadedClientCertificate.DisposeAll(loaded);
            throw;
        }

        return LoadedClientCertificate.Create(context, source, certificate, loaded);
    }

    private static X509Certificate2 ChooseCertificate(
        SettingNames names,
        ClientCertificateOptions options,
        string where,
        string sourceId,
        X509Certificate2Collection loaded)
    {
        var withKey = loaded.Where(c => c.HasPrivateKey).ToList();

        if (!string.IsNullOrWhiteSpace(options.Thumbprint))
        {
            var wanted = Thumbprints.Normalize(names, names[ThumbprintKey], options.Thumbprint);
            var match = withKey.FirstOrDefault(c => Thumbprints.Matches(c, wanted));
            if (match is not null)
            {
                return match;
            }

            var present = withKey.Count == 0
                ? "it holds no certificate with a private key"
                : "it holds " + string.Join(", ", withKey.Select(CertificateFormatting.Describe));
            throw new ClientCertificateException(
                names.ClientName,
                ClientCertificateFailureReason.CertificateNotFound,
                $"{names.Prefix}: no certificate with a private key in {where} has the thumbprint {wanted} ({names[ThumbprintKey]}); {present}. Fix the thumbprint or the file.",
                sourceId);
        }

        if (withKey.Count == 1)
        {
            return withKey[0];
        }

        if (withKey.Count == 0)
        {
            var held = loaded.Count == 0
                ? "it holds no certificate at all"
                : "it holds only " + string.Join(", ", loaded.Select(CertificateFormatting.Describe));
            throw new ClientCertificateException(
                names.ClientName,
                ClientCertificateFailureReason.NoPrivateKey,
                $"{names.Prefix}: {where} contains no certificate with a private key, so it cannot identify the client; {held}. Export the client certificate together with its private key.",
                sourceId);
        }

        throw new ClientCertificateException(
            names.ClientName,
            ClientCertificateFailureReason.AmbiguousCertificate,
            $"{names.Prefix}: {where} contains {withKey.Count} certificates with private keys: {string.Join(", ", withKey.Select(CertificateFormatting.Describe))}. Set {names[ThumbprintKey]} to the one to send.",
            sourceId);
    }

    /// <summary>
    /// Checks the outer DER structure of a PFX (RFC 7292: SEQUENCE { version 3, authSafe ContentInfo, macData OPTIONAL })
    /// so a wrong file is told apart from a wrong password: the platform reports both a corrupt body and a wrong
    /// password as an integrity failure.
    /// </summary>
    internal static string? DescribeStructuralProblem(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return "the file is empty.";
        }

        if (LooksLikePem(bytes))
        {
            return "it is PEM (text). To use PEM, set Certificate:KeyPath to the private key file (Certificate:Path is then the PEM certificate); or convert with 'openssl pkcs12 -export -in cert.pem -inkey key.pem -certfile chain.pem -out client.pfx'.";
        }

        try
        {
            var reader = new AsnReader(bytes.ToArray(), AsnEncodingRules.BER);
            var pfx = reader.ReadSequence();
            if (reader.HasData)
            {
                return "unexpected data follows the PKCS#12 structure.";
            }

            if (!pfx.TryReadInt32(out var version) || version != 3)
            {
                return "the PKCS#12 version is not 3.";
            }

            var contentInfo = pfx.ReadSequence();
            var contentType = contentInfo.ReadObjectIdentifier();
            if (contentType is not "1.2.840.113549.1.7.1" and not "1.2.840.113549.1.7.2")
            {
                return $"the content type {contentType} is not PKCS#7 data or signed data.";
            }

            return null;
        }
        catch (AsnContentException)
        {
            return "the data is not a valid DER/BER structure (truncated or not a certificate file).";
        }
    }

    internal static bool LooksLikePem(ReadOnlySpan<byte> bytes)
    {
        var head = bytes[..Math.Min(bytes.Length, 512)];
        return head.IndexOf("-----BEGIN "u8) >= 0;
    }
}
