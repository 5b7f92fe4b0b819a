internal import COpenSSL

/// Certificate fields as text, through OpenSSL's own printers.
enum TLSCertificateText {
    /// The distinguished name in RFC 2253 form, `CN=worker-1,O=Example`.
    static func subject(of certificate: OpaquePointer) -> String {
        guard let name = X509_get_subject_name(certificate) else { return "" }
        return withMemoryBIO { bio in
            X509_NAME_print_ex(bio, name, 0, mprelay_name_flags_rfc2253())
        }
    }

    /// The DNS names, e-mail addresses and URIs of the subjectAltName extension.
    static func alternativeNames(of certificate: OpaquePointer) -> [String] {
        guard let raw = X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) else { return [] }
        let names = OpaquePointer(raw)
        defer { GENERAL_NAMES_free(names) }
        var result: [String] = []
        for index in 0..<OPENSSL_sk_num(names) {
            guard let entry = OPENSSL_sk_value(names, index)?.assumingMemoryBound(to: GENERAL_NAME.self) else { continue }
            let prefix: String
            switch entry.pointee.type {
            case GEN_DNS: prefix = "DNS:"
            case GEN_EMAIL: prefix = "email:"
            case GEN_URI: prefix = "URI:"
            default: continue
            }
            guard let string = entry.pointee.d.ia5, let data = ASN1_STRING_get0_data(string) else { continue }
            let bytes = UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string)))
            result.append(prefix + String(decoding: bytes, as: UTF8.self))
        }
        return result
    }

    /// An ASN.1 time as OpenSSL prints it, `Jan  1 00:00:00 2030 GMT`.
    static func time(_ time: UnsafePointer<ASN1_TIME>?) -> String {
        guard let time else { return "?" }
        return withMemoryBIO { bio in ASN1_TIME_print(bio, time) }
    }

    private static func withMemoryBIO(_ write: (OpaquePointer) -> Int32) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard write(bio) >= 0 else { return "" }
        var data: UnsafeMutablePointer<CChar>?
        let count = mprelay_bio_pending_data(bio, &data)
        guard let data, count > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self)
    }
}
