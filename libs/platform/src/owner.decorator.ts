import { createParamDecorator } from '@nestjs/common';

// Until authentication lands (issue 6) every client acts as the single local owner. Every
// repository query already takes the owner, so auth only has to change this decorator.
export const LOCAL_OWNER = 'local';
export const Owner = createParamDecorator((): string => LOCAL_OWNER);
