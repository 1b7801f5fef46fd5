using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Testing;

/// <summary>
/// Signs certificates with SHA-1 (sha1WithRSAEncryption or ecdsa-with-SHA1), which the built-in generators refuse;
/// only for tests that prove SHA-1 signed certificates are rejected.
/// </summary>
internal sealed class Sha1SignatureGenerator : X509SignatureGenerator
{
    private readonly AsymmetricAlgorithm _key;
    private readonly X509SignatureGenerator _inner;

    public Sha1SignatureGenerator(AsymmetricAlgorithm key)
    {
        _key = key;
        _inner = key switch
        {
            ECDsa ecdsa => CreateForECDsa(ecdsa),
            RSA rsa => CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
            _ => throw new NotSupportedException($"Unsupported key type {key.GetType()}."),
        };
    }

    public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            if (_key is RSA)
            {
                writer.WriteObjectIdentifier("1.2.840.113549.1.1.5");
                writer.WriteNull();
            }
            else
            {
                writer.WriteObjectIdentifier("1.2.840.10045.4.1");
            }
        }

        return writer.Encode();
    }

    public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) => _key switch
    {
        ECDsa ecdsa => ecdsa.SignData(data, HashAlgorithmName.SHA1, DSASignatureFormat.Rfc3279DerSequence),
        RSA rsa => rsa.SignData(data, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1),
        _ => throw new NotSupportedException(),
    };

    protected override PublicKey BuildPublicKey() => _inner.PublicKey;
}
