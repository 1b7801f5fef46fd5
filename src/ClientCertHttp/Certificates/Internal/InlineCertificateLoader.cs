using System.Text;

namespace ClientCertHttp.Certificates;

/// <summary>
/// Loads a certificate given inline (<see cref="ClientCertificateOptions.Base64"/>): Base64 of a PKCS#12 file, Base64
/// of PEM text, or PEM text as is. The value itself never appears in a message.
/// </summary>
internal static class InlineCertificateLoader
{
    // Four times the file cap in characters is more than the Base64 of any certificate file the file sources accept.
    private const int MaxValueLength = (int)(CertificateFile.MaxFileSize / 3 * 4) + 4096;

    public static LoadedClientCertificate Load(CertificateLoadContext context)
    {
        var key = context.Key("Base64");
        var value = context.Options.Base64!.Trim();
        var sourceId = key;
        if (value.Length > MaxValueLength)
        {
            throw new ClientCertificateException(
                context.ClientName,
                ClientCertificateFailureReason.LoaderLimitExceeded,
                $"{context.Prefix}: the value of {key} has {value.Length} characters, more than the {MaxValueLength} an inline certificate may have. Check that the setting holds the certificate.",
                sourceId);
        }

        if (value.StartsWith("-----BEGIN ", StringComparison.Ordinal))
        {
            return LoadPem(context, value, $"the PEM text of {key}", sourceId);
        }

        var bytes = new byte[value.Length * 3 / 4 + 3];
        if (!Convert.TryFromBase64String(value, bytes, out var length))
        {
            throw new ClientCertificateException(
                context.ClientName,
                ClientCertificateFailureReason.InvalidFormat,
                $"{context.Prefix}: the value of {key} ({value.Length} characters) is not valid Base64 nor PEM text. Set it to the output of 'base64 -w0 client.pfx' (or of a PEM file holding the certificate and its key).",
                sourceId);
        }

        bytes = bytes[..length];
        if (Pkcs12CertificateLoader.LooksLikePem(bytes))
        {
            return LoadPem(context, Encoding.UTF8.GetString(bytes), $"the Base64-encoded PEM text of {key}", sourceId);
        }

        return Pkcs12CertificateLoader.LoadBytes(context, bytes, $"the value of {key}", $"inline PKCS#12 value ({key})", sourceId);
    }

    private static LoadedClientCertificate LoadPem(CertificateLoadContext context, string text, string where, string sourceId)
    {
        var input = new PemCertificateLoader.PemInput(text, where, sourceId);
        return PemCertificateLoader.Load(context, input, input, chainInput: null, $"inline PEM value ({sourceId})");
    }
}
